using Phoenix.Engine.Config;
using Xunit;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Tests.Config;

public class ConfigRuleDetailTests
{
    private static IReadOnlyList<ConfigFinding> Check(string json, ConfigValidationOptions? options = null)
        => new ConfigValidator(options).Validate(PhoenixConfigLoader.Parse(json, "t.json"));

    private static string WithHash(string hash) => ConfigSamples.Base.Replace(ConfigSamples.Sha512Hash, hash);

    [Theory]
    [InlineData(ConfigSamples.Sha512Hash)]
    [InlineData(ConfigSamples.Sha256Hash)]
    [InlineData(ConfigSamples.YescryptHash)]
    [InlineData(ConfigSamples.BcryptHash)]
    [InlineData(ConfigSamples.ScryptHash)]
    [InlineData("$6$rounds=656000$Ph0enixSaltX$ftJwDSr61U2rxoivlCCQi2XmsSIyQ5LVwSH1XRbCfEx1pbGDv6ZQ/0/jXhAFe/s2ZurgrM1kE.PGyCfneeR9F/")]
    public void Strong_crypt_hashes_are_accepted(string hash)
    {
        Assert.Null(ConfigFormats.PasswordHashError(hash));
        Assert.Empty(Check(WithHash(hash)));
    }

    [Theory]
    [InlineData("correct horse battery staple", "password_hash is not a crypt hash (it looks like a plain-text password); plain passwords are refused.")]
    [InlineData(ConfigSamples.Md5Hash, "password_hash is an MD5-crypt hash, which is too weak and refused.")]
    [InlineData("$6$Ph0enixSaltX$ftJwDSr61U2rxoivl", "password_hash starts like a crypt hash but is malformed (cut short or changed).")]
    [InlineData("$2a$10$PhoenixTestSaltXXXXXXu.tcp1GGasi9ECQ6lOmpux.LFM5pGm3e", "password_hash is an old bcrypt variant ($2a$/$2x$), which is refused.")]
    [InlineData("abJnggxhB/yWI", "password_hash looks like a DES-crypt hash (or a 13-character plain password); DES-crypt is refused.")]
    public void Weak_or_plain_passwords_are_refused_without_echoing_them(string value, string reason)
    {
        var f = Assert.Single(Check(WithHash(value)));
        Assert.Equal(ConfigRules.PasswordHashFormat, f.Rule);
        Assert.EndsWith("): " + reason, f.Message);
        Assert.DoesNotContain(value, f.Message);
        Assert.DoesNotContain(value, f.Suggestion!);
        Assert.DoesNotContain(value, f.ToString());
        Assert.Contains("mkpasswd -m sha-512", f.Suggestion);
        Assert.Contains("openssl passwd -6", f.Suggestion);
    }

    [Fact]
    public void A_number_as_password_hash_is_a_type_error_that_does_not_echo_it()
    {
        var f = Assert.Single(Check(ConfigSamples.Base.Replace("\"" + ConfigSamples.Sha512Hash + "\"", "123456789")));
        Assert.Equal(ConfigRules.TypeMismatch, f.Rule);
        Assert.DoesNotContain("123456789", f.ToString());
    }

    [Theory]
    [InlineData(ConfigSamples.Ed25519Key, "ssh-ed25519", 256, "admin@phoenix")]
    [InlineData(ConfigSamples.RsaKey, "ssh-rsa", 3072, "rsa@phoenix")]
    [InlineData(ConfigSamples.EcdsaKey, "ecdsa-sha2-nistp384", 384, "ec@phoenix")]
    [InlineData(ConfigSamples.Rsa1024Key, "ssh-rsa", 1024, "")]
    public void Openssh_public_keys_parse(string line, string type, int bits, string comment)
    {
        Assert.True(SshPublicKey.TryParse(line, out var key, out var error), error);
        Assert.Equal(type, key!.KeyType);
        Assert.Equal(bits, key.Bits);
        Assert.Equal(comment, key.Comment);
    }

    [Theory]
    [InlineData("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIIGTu4sFs9wPOADX2g1CCwUmJPX5LNRd9e/q419dxfzL x", "declares type ssh-rsa but its key data is of type ssh-ed25519")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGTu4sFs9wPOADX2g1CCwUmJPX5LNRd9e/q419dxf== x", "has key data that is cut short or damaged (field longer than the data)")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGTu4sFs9wPOADX2g1CCwUmJPX5LNRd9e/q419dxfz", "has key data that is not valid base64 (cut or changed while copying?)")]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "is a DSA key, which OpenSSH no longer accepts; use ssh-ed25519")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----", "is a PRIVATE key; give the public one (the .pub file)")]
    [InlineData("from=\"10.0.0.0/8\" ssh-ed25519 AAAA", "starts with authorized_keys options, which Phoenix does not accept; give the bare key")]
    [InlineData("ssh-ed25519", "has a type but no key data")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGTu4sFs9wPOADX2g1CCwUmJPX5LNRd9e/q419dxfzL a\nssh-rsa AAAA b", "holds a line break; put each key in its own list entry")]
    public void Broken_keys_say_why(string line, string error)
    {
        Assert.False(SshPublicKey.TryParse(line, out _, out var actual));
        Assert.Equal(error, actual);
    }

    [Theory]
    [InlineData("1st", "invalid format - invalid configuration ID '1st'")]
    [InlineData("a", "invalid format - invalid configuration ID 'a'")]
    [InlineData("golden.image", "invalid format - invalid configuration ID 'golden.image'")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghijX", "value may only be 40 characters long")]
    [InlineData("current", "unable to use snapshot name 'current' (reserved name)")]
    [InlineData("Pending", "unable to use snapshot name 'Pending' (reserved name)")]
    public void Snapshot_names_follow_proxmox_with_its_error_strings(string name, string proxmoxError)
    {
        // Quoted from proxmox-behaviour.md section 3: `snapname: invalid format - invalid configuration ID '<x>'`,
        // `snapname: value may only be 40 characters long`, `unable to use snapshot name 'current' (reserved name)`.
        Assert.Equal(proxmoxError, ProxmoxNames.SnapshotNameError(name));
        var f = Assert.Single(Check(ConfigSamples.Base.Replace("\"name\": \"web-01\",", "\"name\": \"web-01\", \"template_snapshot_name\": \"" + name + "\",")));
        Assert.Contains("is refused by Proxmox: \"" + proxmoxError + "\".", f.Message);
    }

    [Theory]
    [InlineData("golden_1")]
    [InlineData("initial_clean_state")]
    [InlineData("Pre-Features")]
    public void Valid_snapshot_names(string name) => Assert.Null(ProxmoxNames.SnapshotNameError(name));

    [Theory]
    [InlineData(99)]
    [InlineData(1000000000)]
    [InlineData(-5)]
    public void Vmid_out_of_range_quotes_proxmox(int vmid)
    {
        var f = Assert.Single(Check(ConfigSamples.Base.Replace("\"vmid\": 101", "\"vmid\": " + vmid)));
        Assert.Equal(ConfigRules.VmIdRange, f.Rule);
        // proxmox-behaviour.md section 6: `invalid format - value does not look like a valid VM ID`.
        Assert.Contains("\"vmid: invalid format - value does not look like a valid VM ID\"", f.Message);
    }

    [Theory]
    [InlineData("Portainer", true)]   // Proxmox's dns-name allows upper case (the real file has it)
    [InlineData("web-01.lab.example", true)]
    [InlineData("web-", false)]
    [InlineData("-web", false)]
    [InlineData("web_01", false)]
    [InlineData("web\n", false)]     // Perl's $ would let this through Proxmox; Phoenix does not
    [InlineData("wéb", false)]
    [InlineData("web..01", false)]
    public void Names_follow_proxmox_dns_name(string name, bool valid)
    {
        Assert.Equal(valid, ProxmoxNames.IsDnsName(name));
        var json = ConfigSamples.Base.Replace("\"web-01\"", Newtonsoft.Json.JsonConvert.ToString(name));
        var findings = Check(json);
        if (valid) Assert.Empty(findings);
        else Assert.Contains("\"value does not look like a valid DNS name\"", Assert.Single(findings).Message);
    }

    [Fact]
    public void Hostile_name_is_shown_escaped_in_the_message()
    {
        var f = Assert.Single(Check(ConfigSamples.Base.Replace("\"web-01\"", "\"web\\nrm: x\"")));
        Assert.Contains("name \"web\\nrm: x\" is not a DNS name", f.Message);
        Assert.DoesNotContain("\n", f.Message);
    }

    [Fact]
    public void A_cycle_is_named()
    {
        var json = """
        { "vms": [
          { "vmid": 201, "name": "a", "user_config": { "username": "u" }, "dependencies": ["203"] },
          { "vmid": 202, "name": "b", "user_config": { "username": "u" }, "clone_from_vmid": 201 },
          { "vmid": 203, "name": "c", "user_config": { "username": "u" }, "clone_from_vmid": 202 },
          { "vmid": 204, "name": "d", "user_config": { "username": "u" }, "dependencies": ["204"] } ] }
        """;
        var findings = Check(json);
        Assert.Equal(2, findings.Count);
        Assert.Equal("vms[0].dependencies[0] (line 2): dependencies and clones form a cycle: 201 -> 203 -> 202 -> 201 (201 depends on 203, 203 clones from 202, 202 clones from 201).", findings[0].Message);
        Assert.Equal("vms[3].dependencies[0] (line 5): dependencies and clones form a cycle: 204 -> 204 (204 depends on 204).", findings[1].Message);
    }

    [Fact]
    public void Clone_source_on_the_host_is_asked_through_the_callback()
    {
        var json = ConfigSamples.Base.Replace("\"clone_from_vmid\": 9000", "\"clone_from_vmid\": 8000");
        Assert.Empty(Check(json, new ConfigValidationOptions { HostHasVm = id => id == 8000 }));
        var missing = Assert.Single(Check(json, new ConfigValidationOptions { HostHasVm = _ => false }));
        Assert.Equal(ConfigSeverity.Error, missing.Level);
        Assert.EndsWith("clone_from_vmid 8000 points to no VM of the file nor to a VM on the host.", missing.Message);
        var unknown = Assert.Single(Check(json, new ConfigValidationOptions { HostHasVm = _ => null }));
        Assert.Equal(ConfigSeverity.Warning, unknown.Level);
        // Offline the source is unknown, not wrong: a warning that says Deploy checks it on the host.
        var offline = Assert.Single(Check(json));
        Assert.Equal(ConfigSeverity.Warning, offline.Level);
        Assert.EndsWith("clone_from_vmid 8000 is no VM of the file and no host was asked; Deploy-PhoenixVm checks that VM 8000 exists on the host before it changes anything.",
            offline.Message);
        Assert.Contains("-Session", offline.Suggestion);
    }

    [Fact]
    public void Features_are_looked_up_through_the_callback()
    {
        var asked = new List<string>();
        var findings = Check(ConfigSamples.Base, new ConfigValidationOptions { FeatureExists = f => { asked.Add(f); return false; } });
        Assert.Equal(new[] { "docker" }, asked);
        var f = Assert.Single(findings);
        Assert.Equal("vms[1].features[0] (line 20): feature 'docker' is found in no feature folder (no feature_install_docker.sh).", f.Message);
    }

    [Fact]
    public void Vmids_must_be_unique_across_files()
    {
        var a = PhoenixConfigLoader.Parse(ConfigSamples.Base, "a.json");
        var b = PhoenixConfigLoader.Parse(ConfigSamples.Base.Replace("\"vmid\": 9000", "\"vmid\": 9001").Replace("\"clone_from_vmid\": 9000", "\"clone_from_vmid\": 9001").Replace("\"tmpl\"", "\"tmpl2\"").Replace("web-01", "web-02"), "b.json");
        var f = Assert.Single(new ConfigValidator().Validate(new[] { a, b }));
        Assert.Equal(ConfigRules.VmIdDuplicate, f.Rule);
        Assert.Equal("b.json", f.File);
        Assert.EndsWith("VMID 101 is used twice: also by vms[1].vmid (line 17 of a.json).", f.Message);
    }

    [Fact]
    public void Gateway_rules()
    {
        Assert.EndsWith("gw 10.0.1.1 is outside the subnet 10.0.0.0/24 of ip 10.0.0.11/24; the VM could not reach it.",
            Assert.Single(Check(ConfigSamples.Base.Replace("\"10.0.0.1\"", "\"10.0.1.1\""))).Message);
        Assert.Empty(Check(ConfigSamples.Base.Replace("\"10.0.0.11/24\"", "\"10.0.0.11/16\"").Replace("\"10.0.0.1\"", "\"10.0.200.1\"")));
        Assert.EndsWith("ip \"10.0.0.0/24\" is the network address of its subnet, not a host address.",
            Assert.Single(Check(ConfigSamples.Base.Replace("\"10.0.0.11/24\"", "\"10.0.0.0/24\"").Replace("\"10.0.0.1\"", "\"10.0.0.2\""))).Message);
        Assert.EndsWith("ip \"10.0.0.11/7\" has prefix length /7; Proxmox accepts /8 to /32.",
            Assert.Single(Check(ConfigSamples.Base.Replace("\"10.0.0.11/24\"", "\"10.0.0.11/7\""))).Message);
    }
}
