using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Phoenix.Engine.Transport;
using System.Runtime.Versioning;
using Xunit;

namespace Phoenix.Engine.Tests.Transport;

[UnsupportedOSPlatform("windows")] // POSIX file modes, ssh-keygen and sshd
public sealed class KnownHostsFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "phoenix-kh-" + Guid.NewGuid().ToString("N")[..8]);

    public KnownHostsFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string B64(byte[] k) => Convert.ToBase64String(k);

    private static readonly byte[] K1 = TestKeys.MakeEd25519Key(1);
    private static readonly byte[] K2 = TestKeys.MakeEd25519Key(2);

    [Fact]
    public void A_plain_entry_matches_its_host_on_port_22_case_insensitively()
    {
        var f = KnownHostsFile.Parse($"pve1 ssh-ed25519 {B64(K1)} root@pve1\n");
        Assert.Equal(KnownHostStatus.Known, f.Check("pve1", 22, K1).Status);
        Assert.Equal(KnownHostStatus.Known, f.Check("PVE1", 22, K1).Status);
        Assert.Equal(KnownHostStatus.Unknown, f.Check("pve1", 2222, K1).Status);
        Assert.Equal(KnownHostStatus.Unknown, f.Check("pve2", 22, K1).Status);
    }

    [Fact]
    public void A_bracketed_entry_matches_only_its_port()
    {
        var f = KnownHostsFile.Parse($"[127.0.0.1]:2222 ssh-ed25519 {B64(K1)}\n");
        Assert.Equal(KnownHostStatus.Known, f.Check("127.0.0.1", 2222, K1).Status);
        Assert.Equal(KnownHostStatus.Unknown, f.Check("127.0.0.1", 22, K1).Status);
        Assert.Equal(KnownHostStatus.Unknown, f.Check("127.0.0.1", 2223, K1).Status);
    }

    [Fact]
    public void A_hashed_entry_matches_the_name_it_hashes()
    {
        // Computed here the way OpenSSH's HashKnownHosts does: HMAC-SHA1 keyed with the salt.
        var salt = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();
        var hash = new HMACSHA1(salt).ComputeHash(Encoding.UTF8.GetBytes("[pve1.lab]:2200"));
        var f = KnownHostsFile.Parse($"|1|{B64(salt)}|{B64(hash)} ssh-ed25519 {B64(K1)}\n");
        Assert.True(f.Entries[0].IsHashed);
        Assert.Equal(KnownHostStatus.Known, f.Check("pve1.lab", 2200, K1).Status);
        Assert.Equal(KnownHostStatus.Known, f.Check("PVE1.lab", 2200, K1).Status);
        Assert.Equal(KnownHostStatus.Unknown, f.Check("pve1.lab", 22, K1).Status);
        Assert.Equal(KnownHostStatus.Changed, f.Check("pve1.lab", 2200, K2).Status);
    }

    [Fact]
    public void Hashed_entries_written_by_ssh_keygen_match()
    {
        var path = Path.Combine(_dir, "known_hosts");
        File.WriteAllText(path, $"pve1,10.0.0.5 ssh-ed25519 {B64(K1)}\n[pve2]:2222 ssh-ed25519 {B64(K2)}\n");
        var (exit, _, err) = Tools.Run("ssh-keygen", ["-H", "-f", path]);
        Assert.True(exit == 0, err);
        var f = KnownHostsFile.Load(path);
        Assert.All(f.Entries, e => Assert.True(e.IsHashed));
        Assert.Equal(3, f.Entries.Count); // ssh-keygen -H writes one line per name
        Assert.Equal(KnownHostStatus.Known, f.Check("pve1", 22, K1).Status);
        Assert.Equal(KnownHostStatus.Known, f.Check("10.0.0.5", 22, K1).Status);
        Assert.Equal(KnownHostStatus.Known, f.Check("pve2", 2222, K2).Status);
        Assert.Equal(KnownHostStatus.Unknown, f.Check("pve2", 22, K2).Status);
    }

    [Fact]
    public void Comma_lists_wildcards_and_negation_follow_OpenSSH()
    {
        var f = KnownHostsFile.Parse(
            $"pve1,10.0.0.5 ssh-ed25519 {B64(K1)}\n" +
            $"*.lab,!bad.lab ssh-ed25519 {B64(K2)}\n" +
            $"node? ssh-ed25519 {B64(K2)}\n");
        Assert.Equal(KnownHostStatus.Known, f.Check("10.0.0.5", 22, K1).Status);
        Assert.Equal(KnownHostStatus.Known, f.Check("pve1", 22, K1).Status);
        Assert.Equal(KnownHostStatus.Known, f.Check("a.lab", 22, K2).Status);
        Assert.Equal(KnownHostStatus.Unknown, f.Check("bad.lab", 22, K2).Status);
        Assert.Equal(KnownHostStatus.Known, f.Check("node7", 22, K2).Status);
        Assert.Equal(KnownHostStatus.Unknown, f.Check("node17", 22, K2).Status);
    }

    [Fact]
    public void A_different_key_for_a_known_host_is_Changed_and_names_the_known_lines()
    {
        var f = KnownHostsFile.Parse($"# comment\n\npve1 ssh-ed25519 {B64(K1)}\nother ssh-ed25519 {B64(K2)}\n");
        var m = f.Check("pve1", 22, K2);
        Assert.Equal(KnownHostStatus.Changed, m.Status);
        var e = Assert.Single(m.Entries);
        Assert.Equal(3, e.LineNumber);
        Assert.Equal("ssh-ed25519", e.KeyType);
        Assert.Equal(KnownHostsFile.Fingerprint(K1), e.Fingerprint);
    }

    [Fact]
    public void A_host_known_only_with_another_key_type_counts_as_Changed()
    {
        var rsa = TestKeys.MakeKey("ssh-rsa", 5, 64);
        var f = KnownHostsFile.Parse($"pve1 ssh-rsa {B64(rsa)}\n");
        Assert.Equal(KnownHostStatus.Changed, f.Check("pve1", 22, K1).Status);
        Assert.Equal(new[] { "ssh-rsa" }, f.EntriesFor("pve1", 22).Select(e => e.KeyType));
    }

    [Fact]
    public void A_revoked_key_is_refused_even_when_also_listed_as_known()
    {
        var f = KnownHostsFile.Parse($"pve1 ssh-ed25519 {B64(K1)}\n@revoked * ssh-ed25519 {B64(K1)}\n");
        var m = f.Check("pve1", 22, K1);
        Assert.Equal(KnownHostStatus.Revoked, m.Status);
        Assert.Equal(2, m.Entries[0].LineNumber);
        Assert.Equal("@revoked", m.Entries[0].Marker);
        Assert.Equal(KnownHostStatus.Revoked, f.Check("anything", 2222, K1).Status);
        Assert.Equal(KnownHostStatus.Changed, f.Check("pve1", 22, K2).Status);
    }

    [Fact]
    public void Cert_authority_lines_neither_admit_nor_refuse()
    {
        var f = KnownHostsFile.Parse($"@cert-authority pve1 ssh-ed25519 {B64(K1)}\n");
        Assert.Equal(KnownHostStatus.Unknown, f.Check("pve1", 22, K1).Status);
    }

    [Fact]
    public void Comments_blank_and_malformed_lines_are_skipped_and_line_numbers_kept()
    {
        var f = KnownHostsFile.Parse(
            "# header\r\n" +
            "   \n" +
            "justonefield\n" +
            "pve1 ssh-ed25519 not*base64\n" +
            $"\tpve1 ssh-ed25519 {B64(K1)} comment with spaces\r\n");
        var e = Assert.Single(f.Entries);
        Assert.Equal(5, e.LineNumber);
        Assert.Equal("pve1", e.Hosts);
        Assert.Equal(KnownHostStatus.Known, f.Check("pve1", 22, K1).Status);
    }

    [Fact]
    public void Fingerprint_and_key_type_agree_with_ssh_keygen()
    {
        var key = Tools.NewKey(_dir, "probe");
        var pub = File.ReadAllText(key + ".pub").Split(' ');
        var blob = Convert.FromBase64String(pub[1]);
        var (_, listed, _) = Tools.Run("ssh-keygen", ["-l", "-E", "sha256", "-f", key + ".pub"]);
        Assert.Equal(listed.Split(' ')[1], KnownHostsFile.Fingerprint(blob));
        Assert.Equal("ssh-ed25519", KnownHostsFile.KeyTypeOf(blob));
    }

    [Fact]
    public void HostPattern_and_FormatLine_use_OpenSSH_forms()
    {
        Assert.Equal("pve1", KnownHostsFile.HostPattern("PVE1", 22));
        Assert.Equal("[10.0.0.5]:2222", KnownHostsFile.HostPattern("10.0.0.5", 2222));
        Assert.Equal($"[pve1]:2222 ssh-ed25519 {B64(K1)}", KnownHostsFile.FormatLine("pve1", 2222, K1));
    }

    [Fact]
    public void Append_creates_directory_and_file_privately_and_the_key_is_then_known()
    {
        var path = Path.Combine(_dir, "fresh", ".ssh", "known_hosts");
        KnownHostsFile.Append(path, "127.0.0.1", 2222, K1);
        Assert.Equal($"[127.0.0.1]:2222 ssh-ed25519 {B64(K1)}\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        Assert.Equal(KnownHostStatus.Known, KnownHostsFile.Load(path).Check("127.0.0.1", 2222, K1).Status);

        var (exit, found, _) = Tools.Run("ssh-keygen", ["-F", "[127.0.0.1]:2222", "-f", path]);
        Assert.Equal(0, exit);
        Assert.Contains(B64(K1), found);
    }

    [Fact]
    public void Append_to_a_file_without_final_newline_starts_a_new_line_and_keeps_its_mode()
    {
        var path = Path.Combine(_dir, "known_hosts");
        File.WriteAllText(path, $"pve1 ssh-ed25519 {B64(K1)}");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        KnownHostsFile.Append(path, "pve2", 22, K2);
        Assert.Equal($"pve1 ssh-ed25519 {B64(K1)}\npve2 ssh-ed25519 {B64(K2)}\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        var f = KnownHostsFile.Load(path);
        Assert.Equal(KnownHostStatus.Known, f.Check("pve1", 22, K1).Status);
        Assert.Equal(KnownHostStatus.Known, f.Check("pve2", 22, K2).Status);
    }

    [Fact]
    public void A_missing_file_loads_as_empty()
    {
        var f = KnownHostsFile.Load(Path.Combine(_dir, "nothing-here"));
        Assert.Empty(f.Entries);
        Assert.Equal(KnownHostStatus.Unknown, f.Check("pve1", 22, K1).Status);
    }
}

/// <summary>Synthetic public key blobs for tests that need keys but no real key pair.</summary>
public static class TestKeys
{
    /// <summary>A well-formed ssh-ed25519 public key blob with deterministic bytes.</summary>
    public static byte[] MakeEd25519Key(int seed) => MakeKey("ssh-ed25519", seed, 32);

    public static byte[] MakeKey(string type, int seed, int length)
    {
        var key = new byte[length];
        new Random(seed).NextBytes(key);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        var blob = new byte[4 + typeBytes.Length + 4 + length];
        BinaryPrimitives.WriteInt32BigEndian(blob, typeBytes.Length);
        typeBytes.CopyTo(blob, 4);
        BinaryPrimitives.WriteInt32BigEndian(blob.AsSpan(4 + typeBytes.Length), length);
        key.CopyTo(blob, 8 + typeBytes.Length);
        return blob;
    }
}
