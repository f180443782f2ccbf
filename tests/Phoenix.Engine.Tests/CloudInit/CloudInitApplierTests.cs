using System.Text;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Secrets;
using Phoenix.Engine.Tests.Config;
using Phoenix.Simulator;
using Xunit;

namespace Phoenix.Engine.Tests.CloudInit;

/// <summary>CloudInitApplier against the in-process simulator: a node with storage local (snippets) and template 9000.</summary>
public sealed class CloudInitApplierTests : IDisposable
{
    private const string UserPath = "/var/lib/vz/snippets/user-data-101.yml";
    private const string Marker = "/var/lib/vz/snippets/.phoenix-cloudinit-101";
    private const string NetworkPath = "/var/lib/vz/snippets/network-config-101.yml";
    private const string Cicustom = "user=local:snippets/user-data-101.yml,network=local:snippets/network-config-101.yml";

    private readonly SimulatorConnection _sim;
    private readonly RecordingConnection _rec;
    private readonly ProxmoxHost _host;

    public CloudInitApplierTests()
    {
        _sim = new SimulatorConnection(new SimulatorOptions { RandomSeed = 7 });
        _rec = new RecordingConnection(_sim);
        _host = new ProxmoxHost(_rec, RetryPolicy.NoRetry);
        _host.CloneAsync(9000, 101, new CloneOptions { Name = "web-01" }).GetAwaiter().GetResult();
        _rec.Clear();
    }

    public void Dispose() => _sim.Dispose();

    private static VmSpec Spec(int vmId = 101, string? key = null, string? name = "web-01") => new()
    {
        VmId = vmId,
        Name = name,
        NetworkConfig = new VmNetworkConfig { Ip = "10.0.0.11/24", Gateway = "10.0.0.1", Nameservers = new[] { "10.0.0.13" } },
        UserConfig = new VmUserConfig
        {
            Username = "phoenix",
            PasswordHash = new Secret(ConfigSamples.Sha512Hash),
            SshPublicKeys = new[] { key ?? ConfigSamples.Ed25519Key },
        },
    };

    private string HostFile(string path) => Encoding.UTF8.GetString(_sim.Simulator.Store.ReadFile(path) ?? throw new FileNotFoundException(path));

    private async Task<VmConfig> QmConfig(int vmId = 101) => await new ProxmoxHost(_sim).GetVmConfigAsync(vmId);

    [Fact]
    public async Task First_apply_uploads_both_files_sets_cicustom_and_regenerates()
    {
        var r = await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default);

        Assert.Equal(new[] { UserPath, NetworkPath }, r.Uploaded);
        Assert.Equal(UserPath, r.UserDataFile);
        Assert.Equal(NetworkPath, r.NetworkConfigFile);
        Assert.True(r.CicustomSet);
        Assert.True(r.Regenerated);
        Assert.True(r.Changed);
        Assert.Null(r.DriveAdded);
        Assert.Equal(Cicustom, r.Cicustom);
        Assert.Equal(Cicustom, (await QmConfig())["cicustom"]);
        Assert.Equal(r.Document.UserData, HostFile(UserPath));
        Assert.Equal(r.Document.NetworkConfig, HostFile(NetworkPath));
        Assert.Equal(0x180, _sim.Simulator.Store.GetMode(UserPath));
        Assert.Equal(0x180, _sim.Simulator.Store.GetMode(NetworkPath));
        // The regenerated drive holds exactly Phoenix's files, and meta-data carries the instance-id the result announces.
        Assert.Equal(r.Document.UserData, HostFile("/var/lib/phoenix-sim/cloudinit/101/user-data"));
        Assert.Equal("instance-id: " + r.InstanceId + "\n", HostFile("/var/lib/phoenix-sim/cloudinit/101/meta-data"));
        Assert.Equal(new[] { "upload " + UserPath, "upload " + NetworkPath, "upload " + Marker }, _rec.Log.Where(l => l.StartsWith("upload ")).Select(l => l));
        Assert.Equal(r.Hash + " " + Cicustom + "\n", HostFile(Marker));
        Assert.Contains("qm set 101 --cicustom '" + Cicustom + "'", _rec.Commands);
        Assert.Equal("qm cloudinit update 101", _rec.Commands.Last());
        Assert.Equal(new[]
        {
            $"uploaded user-data-101.yml (sha256 {r.UserDataHash[..12]}, {Encoding.UTF8.GetByteCount(r.Document.UserData)} bytes) to {UserPath}",
            $"uploaded network-config-101.yml (sha256 {r.NetworkConfigHash[..12]}, {Encoding.UTF8.GetByteCount(r.Document.NetworkConfig)} bytes) to {NetworkPath}",
            "set cicustom " + Cicustom,
            "regenerated the cloud-init drive (qm cloudinit update)",
        }, r.Changes);
        Assert.True(r.InstanceIdChanged);
        Assert.Empty(r.Warnings);
        Assert.Contains(r.Notes, n => n.Contains("instance-id is now " + r.InstanceId) && n.Contains("first-boot steps"));
    }

    [Fact]
    public async Task An_apply_cut_off_before_the_regenerate_is_finished_by_the_next()
    {
        await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default);
        // As if the first run had uploaded and set cicustom, then died before `qm cloudinit update`.
        _sim.Simulator.Store.DeleteFile(Marker);
        _rec.Clear();

        var r = await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default);

        Assert.True(r.Regenerated);
        Assert.Empty(r.Uploaded);
        Assert.Contains("qm cloudinit update 101", _rec.Commands);
        Assert.Contains(r.Changes, c => c.Contains("not regenerated from these snippets yet"));
        _rec.Clear();
        Assert.False((await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default)).Changed);
        Assert.DoesNotContain("qm cloudinit update 101", _rec.Commands);
    }

    [Fact]
    public async Task Second_apply_changes_nothing_and_runs_only_reads()
    {
        await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default);
        _rec.Clear();

        var r = await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default);

        Assert.False(r.Changed);
        Assert.Empty(r.Uploaded);
        Assert.False(r.CicustomSet);
        Assert.False(r.Regenerated);
        Assert.False(r.InstanceIdChanged);
        Assert.Empty(_rec.Uploads);
        Assert.Equal(new[]
        {
            "pvesm status --content snippets",
            "qm config 101",
            "pvesm path local:snippets/user-data-101.yml",
            "pvesm path local:snippets/network-config-101.yml",
            "download " + Marker,
            "download " + UserPath,
            "download " + NetworkPath,
        }, _rec.Log);
        Assert.Equal("cloud-init of VM 101: unchanged (sha256 " + r.Hash[..12] + ")", r.ToString());
        var step = r.ToStepOutcome();
        Assert.False(step.Changed);
        Assert.Equal(new[] { $"VM 101 (web-01): cloud-init is up to date (user-data-101.yml, network-config-101.yml, sha256 {r.Hash[..12]})." }, step.Notes);
    }

    [Fact]
    public async Task Changed_ssh_key_uploads_user_data_again_and_regenerates_with_a_warning()
    {
        var first = await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default);
        _rec.Clear();

        var r = await CloudInitApplier.ApplyAsync(_host, Spec(key: ConfigSamples.RsaKey), new CloudInitApplyOptions(), default);

        Assert.Equal(new[] { UserPath }, r.Uploaded);
        Assert.Equal(new[] { UserPath, Marker }, _rec.Uploads);
        Assert.False(r.CicustomSet);
        Assert.True(r.Regenerated);
        Assert.DoesNotContain(_rec.Commands, c => c.StartsWith("qm set"));
        Assert.Contains("qm cloudinit update 101", _rec.Commands);
        Assert.Contains(ConfigSamples.RsaKey, HostFile(UserPath));
        Assert.DoesNotContain(ConfigSamples.Ed25519Key, HostFile(UserPath));
        Assert.Contains(ConfigSamples.RsaKey, HostFile("/var/lib/phoenix-sim/cloudinit/101/user-data"));
        Assert.NotEqual(first.InstanceId, r.InstanceId);
        Assert.True(r.InstanceIdChanged);
        var warning = Assert.Single(r.Warnings);
        Assert.Equal("VM 101 (web-01): the cloud-init content changed, so its instance-id is now " + r.InstanceId +
            ": cloud-init runs its first-boot steps (users, SSH keys, packages, runcmd) again at the VM's next start.", warning);
        Assert.Equal(new[] { warning }, r.ToStepOutcome().Warnings);
        Assert.EndsWith("(replacing different content)", r.Changes[0]);
        Assert.Equal("cloud-init of VM 101: changed (1 uploaded, regenerated)", r.ToString());
    }

    [Fact]
    public async Task Storage_without_snippets_is_refused_with_the_command_that_enables_them()
    {
        await _sim.UploadAsync("/etc/pve/storage.cfg", Encoding.UTF8.GetBytes(
            "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n"), 0x1A0);

        var e = await Assert.ThrowsAsync<PhoenixException>(() => CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default));

        Assert.Equal("SnippetsNotEnabled", e.Reason);
        Assert.Equal(PhoenixErrorKind.NotInstalled, e.Kind);
        Assert.Equal("local", e.Target);
        Assert.Equal("pvesm set local --content iso,vztmpl,backup,snippets", e.RecommendedAction);
        Assert.Equal("VM 101 (web-01): storage 'local' does not hold snippets (its content is iso,vztmpl,backup), so Phoenix cannot put the cloud-init files there. " +
            "Enable snippets on it with: pvesm set local --content iso,vztmpl,backup,snippets, or choose a storage that has them with -Storage.", e.Message);
        Assert.Empty(_rec.Uploads);
        Assert.DoesNotContain(_rec.Commands, c => c.StartsWith("qm set"));
    }

    [Fact]
    public async Task Unknown_storage_is_refused_and_names_the_storages_that_hold_snippets()
    {
        var e = await Assert.ThrowsAsync<PhoenixException>(() => CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions { Storage = "nas" }, default));
        Assert.Equal("StorageNotFound", e.Reason);
        Assert.Equal("VM 101 (web-01): storage 'nas' does not exist on this node, so the cloud-init snippets cannot go there. Storages that hold snippets: local.", e.Message);
        Assert.Equal("Use -Storage local.", e.RecommendedAction);
        Assert.Empty(_rec.Uploads);
    }

    [Fact]
    public async Task A_block_storage_is_refused_with_the_storages_that_hold_snippets()
    {
        var e = await Assert.ThrowsAsync<PhoenixException>(() => CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions { Storage = "local-lvm" }, default));
        Assert.Equal("SnippetsNotEnabled", e.Reason);
        Assert.Equal("VM 101 (web-01): storage 'local-lvm' is of type lvmthin, which cannot hold snippets (only file-based storages such as dir or nfs can), " +
            "so Phoenix cannot put the cloud-init files there. Storages that hold snippets: local.", e.Message);
        Assert.Equal("Use -Storage local.", e.RecommendedAction);
    }

    [Fact]
    public async Task Dry_run_for_a_vm_that_a_deploy_has_yet_to_clone_plans_the_files_and_cicustom()
    {
        using var recorder = new PlanRecorder(_rec);
        var r = await CloudInitApplier.ApplyAsync(new ProxmoxHost(recorder, RetryPolicy.NoRetry), Spec(vmId: 556), new CloudInitApplyOptions(), default);
        Assert.False(r.VmExists);
        Assert.Equal("qm set 556 --cicustom 'user=local:snippets/user-data-556.yml,network=local:snippets/network-config-556.yml'", recorder.Commands[2]);
        Assert.Contains("VM 556 (web-01) does not exist yet; the plan assumes it has no cloud-init settings.", r.Notes);
    }

    [Fact]
    public async Task Missing_vm_is_an_error_before_anything_is_written()
    {
        var e = await Assert.ThrowsAsync<ProxmoxException>(() => CloudInitApplier.ApplyAsync(_host, Spec(vmId: 555), new CloudInitApplyOptions(), default));
        Assert.Equal(ProxmoxErrorReason.VmNotFound, e.ProxmoxReason);
        Assert.Empty(_rec.Uploads);
        Assert.Null(_sim.Simulator.Store.ReadFile("/var/lib/vz/snippets/user-data-555.yml"));
    }

    [Fact]
    public async Task Dry_run_records_the_writes_and_the_exact_qm_set_and_changes_nothing()
    {
        using var recorder = new PlanRecorder(_rec);
        var host = new ProxmoxHost(recorder, RetryPolicy.NoRetry);

        var r = await CloudInitApplier.ApplyAsync(host, Spec(), new CloudInitApplyOptions(), default);

        Assert.True(r.IsPlanned);
        Assert.Equal(new[]
        {
            $"write {Encoding.UTF8.GetByteCount(r.Document.UserData)} bytes to {UserPath} (mode 0600)",
            $"write {Encoding.UTF8.GetByteCount(r.Document.NetworkConfig)} bytes to {NetworkPath} (mode 0600)",
            "qm set 101 --cicustom '" + Cicustom + "'",
            "qm cloudinit update 101",
            $"write {Encoding.UTF8.GetByteCount(r.Hash + " " + Cicustom + "\n")} bytes to {Marker} (mode 0600)",
        }, recorder.Commands);
        Assert.Empty(_rec.Uploads);
        Assert.Null(_sim.Simulator.Store.ReadFile(UserPath));
        Assert.Null((await QmConfig())["cicustom"]);
        Assert.Equal("cloud-init of VM 101: would change (2 uploaded, cicustom set, regenerated)", r.ToString());
    }

    [Fact]
    public async Task Vm_without_a_cloud_init_drive_gets_one_on_its_boot_disk_storage()
    {
        await _sim.RunAsync(new Phoenix.Engine.Transport.RemoteCommand("qm", "create", "102", "--name", "bare", "--scsi0", "local-lvm:1", "--boot", "order=scsi0"));
        _rec.Clear();

        var r = await CloudInitApplier.ApplyAsync(_host, Spec(vmId: 102, name: "bare"), new CloudInitApplyOptions(), default);

        Assert.Equal("ide2", r.DriveAdded);
        Assert.Contains("qm set 102 --ide2 local-lvm:cloudinit", _rec.Commands);
        Assert.Contains("added cloud-init drive ide2 on local-lvm", r.Changes);
        var config = await QmConfig(102);
        Assert.Equal("ide2", config.CloudInitDrive?.Key);
        Assert.Equal("local-lvm:vm-102-cloudinit", config.CloudInitDrive?.Volume);

        _rec.Clear();
        var again = await CloudInitApplier.ApplyAsync(_host, Spec(vmId: 102, name: "bare"), new CloudInitApplyOptions(), default);
        Assert.False(again.Changed);
        Assert.DoesNotContain(_rec.Commands, c => c.StartsWith("qm set"));
    }

    [Fact]
    public async Task A_vendor_snippet_the_admin_set_is_kept_in_cicustom()
    {
        await _sim.UploadAsync("/var/lib/vz/snippets/vendor.yml", Encoding.UTF8.GetBytes("#cloud-config\n"), 0x1A4);
        await new ProxmoxHost(_sim).SetAsync(101, new[] { new KeyValuePair<string, string>("cicustom", "vendor=local:snippets/vendor.yml") });

        var r = await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default);

        Assert.Equal(Cicustom + ",vendor=local:snippets/vendor.yml", (await QmConfig())["cicustom"]);
        Assert.Contains("set cicustom " + Cicustom + ",vendor=local:snippets/vendor.yml (was vendor=local:snippets/vendor.yml)", r.Changes);
        var again = await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default);
        Assert.False(again.Changed);
    }

    [Fact]
    public async Task Force_uploads_and_regenerates_unchanged_content()
    {
        await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions(), default);
        _rec.Clear();

        var r = await CloudInitApplier.ApplyAsync(_host, Spec(), new CloudInitApplyOptions { Force = true }, default);

        Assert.Equal(new[] { UserPath, NetworkPath }, _rec.Uploads);
        Assert.True(r.CicustomSet);
        Assert.True(r.Regenerated);
        Assert.False(r.InstanceIdChanged);
        Assert.EndsWith("(unchanged, forced)", r.Changes[0]);
    }

    [Fact]
    public async Task Deploy_step_returns_the_changes_as_a_step_outcome()
    {
        var step = CloudInitApplier.AsDeployStep(new CloudInitApplyOptions());
        var outcome = await step(_host, Spec(), default);
        Assert.True(outcome.Changed);
        Assert.Equal(4, outcome.Changes.Count);
        Assert.False((await step(_host, Spec(), default)).Changed);
    }

    [Theory]
    [InlineData("dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n", "local", "iso,vztmpl,backup")]
    [InlineData("dir: local\n\tpath /var/lib/vz\n\nlvmthin: local-lvm\n\tcontent rootdir,images\n", "local-lvm", "rootdir,images")]
    [InlineData("dir: local\n\tpath /var/lib/vz\n", "local", "")]
    [InlineData("# a comment\r\ndir: backup\r\n        content backup\r\n", "backup", "backup")]
    public void Storage_content_is_read_from_storage_cfg(string cfg, string storage, string content)
    {
        Assert.Equal(content, string.Join(",", CloudInitApplier.ParseStorageContent(cfg, storage)!));
    }

    [Fact]
    public void A_storage_missing_from_storage_cfg_has_no_content_list()
    {
        Assert.Null(CloudInitApplier.ParseStorageContent("dir: local\n\tcontent iso\n", "nas"));
        Assert.Null(CloudInitApplier.ParseStorageContent("dir: local\n\tcontent iso\n", "loc"));
    }
}
