using Xunit;
using System.Text;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Tests.Proxmox;

public class QmCommandTests
{
    private static string[] Argv(RemoteCommand c) => c.Arguments.ToArray();

    private static KeyValuePair<string, string> P(string k, string v) => new(k, v);

    [Fact]
    public void List_status_config_build_exact_argv()
    {
        Assert.Equal(new[] { "qm", "list" }, Argv(QmCommand.List()));
        Assert.Equal(new[] { "qm", "status", "1001" }, Argv(QmCommand.Status(1001)));
        Assert.Equal(new[] { "qm", "status", "1001", "--verbose", "1" }, Argv(QmCommand.Status(1001, verbose: true)));
        Assert.Equal(new[] { "qm", "config", "1001" }, Argv(QmCommand.Config(1001)));
        Assert.Equal(new[] { "qm", "config", "1001", "--current", "1", "--snapshot", "pre-features" },
            Argv(QmCommand.Config(1001, "pre-features", current: true)));
    }

    [Fact]
    public void Set_keeps_the_given_order_and_redacts_cipassword()
    {
        var cmd = QmCommand.Set(1001, new[]
        {
            P("cores", "4"),
            P("memory", "8192"),
            P("cipassword", "$6$salt$hash"),
            P("cicustom", "user=local:snippets/user-data-1001.yml,network=local:snippets/network-config-1001.yml"),
        });

        Assert.Equal(new[]
        {
            "qm", "set", "1001", "--cores", "4", "--memory", "8192", "--cipassword", "$6$salt$hash",
            "--cicustom", "user=local:snippets/user-data-1001.yml,network=local:snippets/network-config-1001.yml",
        }, Argv(cmd));
        Assert.Equal(
            "qm set 1001 --cores 4 --memory 8192 --cipassword '<redacted>' --cicustom 'user=local:snippets/user-data-1001.yml,network=local:snippets/network-config-1001.yml'",
            cmd.ToDisplayString());
        Assert.DoesNotContain("$6$salt$hash", cmd.ToDisplayString());
        Assert.DoesNotContain("$6$salt$hash", cmd.ToString());
        Assert.Contains("'$6$salt$hash'", cmd.ToShellString());
        Assert.False(CommandIntent.IsReadOnly(cmd));
    }

    [Fact]
    public void Set_refuses_no_options_bad_names_and_duplicates()
    {
        var none = Assert.Throws<PhoenixException>(() => QmCommand.Set(1001, Array.Empty<KeyValuePair<string, string>>()));
        Assert.Equal("NoOptions", none.Reason);
        var dash = Assert.Throws<PhoenixException>(() => QmCommand.Set(1001, new[] { P("--cores", "4") }));
        Assert.Equal("InvalidOption", dash.Reason);
        Assert.Equal(PhoenixErrorKind.InvalidArgument, dash.Kind);
        var twice = Assert.Throws<PhoenixException>(() => QmCommand.Set(1001, new[] { P("cores", "4"), P("cores", "2") }));
        Assert.Equal("DuplicateOption", twice.Reason);
    }

    [Fact]
    public void Clone_builds_every_option_in_a_fixed_order()
    {
        var cmd = QmCommand.Clone(9000, 1001, name: "web01", full: true, snapName: "golden", storage: "local-lvm", format: "qcow2", target: "pve2");
        Assert.Equal(new[]
        {
            "qm", "clone", "9000", "1001", "--name", "web01", "--snapname", "golden", "--storage", "local-lvm",
            "--format", "qcow2", "--full", "1", "--target", "pve2",
        }, Argv(cmd));

        Assert.Equal(new[] { "qm", "clone", "9000", "1001", "--name", "web01" }, Argv(QmCommand.Clone(9000, 1001, "web01")));
        Assert.Equal(new[] { "qm", "clone", "9000", "1001", "--full", "0" }, Argv(QmCommand.Clone(9000, 1001, full: false)));
    }

    [Fact]
    public void Clone_refuses_what_Proxmox_would_refuse_before_running()
    {
        Assert.Equal("StorageNeedsFullClone", Assert.Throws<PhoenixException>(() => QmCommand.Clone(9000, 1001, full: false, storage: "local-lvm")).Reason);
        Assert.Equal("FormatNeedsFullClone", Assert.Throws<PhoenixException>(() => QmCommand.Clone(9000, 1001, full: false, format: "raw")).Reason);
        Assert.Equal("InvalidFormat", Assert.Throws<PhoenixException>(() => QmCommand.Clone(9000, 1001, format: "vdi")).Reason);
        Assert.Equal("InvalidVmName", Assert.Throws<PhoenixException>(() => QmCommand.Clone(9000, 1001, name: "web 01")).Reason);
        Assert.Equal("InvalidSnapshotName", Assert.Throws<PhoenixException>(() => QmCommand.Clone(9000, 1001, snapName: "current")).Reason);
        Assert.Equal("InvalidVmId", Assert.Throws<PhoenixException>(() => QmCommand.Clone(9000, 99)).Reason);
        Assert.Equal("InvalidVmId", Assert.Throws<PhoenixException>(() => QmCommand.Clone(9000, 9000)).Reason);
        Assert.Equal("InvalidStorageId", Assert.Throws<PhoenixException>(() => QmCommand.Clone(9000, 1001, storage: "local lvm")).Reason);
    }

    [Fact]
    public void Lifecycle_commands_build_exact_argv()
    {
        Assert.Equal(new[] { "qm", "start", "1001" }, Argv(QmCommand.Start(1001)));
        Assert.Equal(new[] { "qm", "stop", "1001" }, Argv(QmCommand.Stop(1001)));
        Assert.Equal(new[] { "qm", "stop", "1001", "--timeout", "30" }, Argv(QmCommand.Stop(1001, 30)));
        Assert.Equal(new[] { "qm", "shutdown", "1001", "--timeout", "60", "--forceStop", "1" }, Argv(QmCommand.Shutdown(1001, 60, forceStop: true)));
        Assert.Equal(new[] { "qm", "shutdown", "1001" }, Argv(QmCommand.Shutdown(1001)));
        Assert.Equal(new[] { "qm", "destroy", "1001", "--purge", "1" }, Argv(QmCommand.Destroy(1001, purge: true)));
        Assert.Equal(new[] { "qm", "destroy", "1001" }, Argv(QmCommand.Destroy(1001)));
        Assert.Equal(new[] { "qm", "template", "9000" }, Argv(QmCommand.Template(9000)));
        Assert.Equal(new[] { "qm", "unlock", "1001" }, Argv(QmCommand.Unlock(1001)));
        Assert.Equal(new[] { "qm", "create", "9000", "--name", "ubuntu-template", "--memory", "2048" },
            Argv(QmCommand.Create(9000, new[] { P("name", "ubuntu-template"), P("memory", "2048") })));
        Assert.Equal(new[] { "qm", "importdisk", "9000", "/var/lib/vz/template/noble.img", "local-lvm", "--format", "raw" },
            Argv(QmCommand.ImportDisk(9000, "/var/lib/vz/template/noble.img", "local-lvm", "raw")));
        Assert.Equal(new[] { "qm", "resize", "1001", "scsi0", "32G" }, Argv(QmCommand.Resize(1001, "scsi0", "32G")));
        Assert.Equal(new[] { "qm", "resize", "1001", "scsi0", "+10G" }, Argv(QmCommand.Resize(1001, "scsi0", "+10G")));
        Assert.Equal("InvalidDiskSize", Assert.Throws<PhoenixException>(() => QmCommand.Resize(1001, "scsi0", "32 GB")).Reason);
        Assert.Equal("InvalidDisk", Assert.Throws<PhoenixException>(() => QmCommand.Resize(1001, "net0", "32G")).Reason);
    }

    [Fact]
    public void Snapshot_commands_build_exact_argv_and_check_the_name_first()
    {
        Assert.Equal(new[] { "qm", "snapshot", "1001", "pre-features", "--description", "before features", "--vmstate", "1" },
            Argv(QmCommand.Snapshot(1001, "pre-features", "before features", vmState: true)));
        Assert.Equal(new[] { "qm", "snapshot", "1001", "post_features" }, Argv(QmCommand.Snapshot(1001, "post_features")));
        Assert.Equal(new[] { "qm", "listsnapshot", "1001" }, Argv(QmCommand.ListSnapshot(1001)));
        Assert.Equal(new[] { "qm", "delsnapshot", "1001", "s1", "--force", "1" }, Argv(QmCommand.DelSnapshot(1001, "s1", force: true)));
        Assert.Equal(new[] { "qm", "rollback", "1001", "s1", "--start", "1" }, Argv(QmCommand.Rollback(1001, "s1", start: true)));

        var e = Assert.Throws<PhoenixException>(() => QmCommand.Snapshot(1001, "Pending"));
        Assert.Equal("InvalidSnapshotName", e.Reason);
        Assert.Equal(1001, e.Target);
        Assert.Equal("VM 1001: snapshot name 'Pending' is reserved by Proxmox.", e.Message);
        Assert.Equal("InvalidSnapshotName", Assert.Throws<PhoenixException>(() => QmCommand.DelSnapshot(1001, "x")).Reason);
        Assert.Equal("InvalidSnapshotName", Assert.Throws<PhoenixException>(() => QmCommand.Rollback(1001, "1abc")).Reason);
    }

    [Fact]
    public void Cloud_init_commands_build_exact_argv()
    {
        Assert.Equal(new[] { "qm", "cloudinit", "update", "1001" }, Argv(QmCommand.CloudInitUpdate(1001)));
        Assert.Equal(new[] { "qm", "cloudinit", "dump", "1001", "user" }, Argv(QmCommand.CloudInitDump(1001, CloudInitDumpType.User)));
        Assert.Equal(new[] { "qm", "cloudinit", "dump", "1001", "network" }, Argv(QmCommand.CloudInitDump(1001, CloudInitDumpType.Network)));
        Assert.Equal(new[] { "qm", "cloudinit", "dump", "1001", "meta" }, Argv(QmCommand.CloudInitDump(1001, CloudInitDumpType.Meta)));
    }

    [Fact]
    public void Guest_exec_puts_options_before_the_double_dash_and_the_argv_after_it()
    {
        var cmd = QmCommand.GuestExec(1001, new[] { "/bin/bash", "-c", "echo 'hi' && id" });
        Assert.Equal(new[] { "qm", "guest", "exec", "1001", "--", "/bin/bash", "-c", "echo 'hi' && id" }, Argv(cmd));
        Assert.Equal(@"qm guest exec 1001 -- /bin/bash -c 'echo '\''hi'\'' && id'", cmd.ToShellString());

        var stdin = Encoding.UTF8.GetBytes("secret-content");
        var withInput = QmCommand.GuestExec(1001, new[] { "sh", "-c", "cat > /tmp/vm_context.json" }, stdin, timeoutSeconds: 120, standardInputIsSecret: true);
        Assert.Equal(new[] { "qm", "guest", "exec", "1001", "--timeout", "120", "--pass-stdin", "1", "--", "sh", "-c", "cat > /tmp/vm_context.json" }, Argv(withInput));
        Assert.Same(stdin, withInput.StandardInput);
        Assert.True(withInput.StandardInputIsSecret);
        Assert.Equal("qm guest exec 1001 --timeout 120 --pass-stdin 1 -- sh -c 'cat > /tmp/vm_context.json' <<< (14 bytes on stdin)", withInput.ToDisplayString());

        Assert.Equal(new[] { "qm", "guest", "exec", "1001", "--synchronous", "0", "--", "sleep", "600" },
            Argv(QmCommand.GuestExec(1001, new[] { "sleep", "600" }, synchronous: false)));
        Assert.False(CommandIntent.IsReadOnly(cmd));
    }

    [Fact]
    public void Guest_exec_refuses_what_qm_would_refuse()
    {
        Assert.Equal("TimeoutNeedsSynchronous", Assert.Throws<PhoenixException>(() => QmCommand.GuestExec(1001, new[] { "true" }, timeoutSeconds: 5, synchronous: false)).Reason);
        Assert.Equal("GuestInputTooLarge", Assert.Throws<PhoenixException>(() => QmCommand.GuestExec(1001, new[] { "cat" }, new byte[QmCommand.MaxGuestExecInput + 1])).Reason);
        Assert.Equal("NoGuestCommand", Assert.Throws<PhoenixException>(() => QmCommand.GuestExec(1001, Array.Empty<string>())).Reason);
        // Exactly 1 MiB is still accepted.
        Assert.Equal(QmCommand.MaxGuestExecInput, QmCommand.GuestExec(1001, new[] { "cat" }, new byte[QmCommand.MaxGuestExecInput]).StandardInput!.Length);
    }

    [Fact]
    public void Guest_agent_commands_build_exact_argv()
    {
        Assert.Equal(new[] { "qm", "guest", "exec-status", "1001", "4242" }, Argv(QmCommand.GuestExecStatus(1001, 4242)));
        Assert.Equal(new[] { "qm", "guest", "cmd", "1001", "ping" }, Argv(QmCommand.AgentPing(1001)));
        Assert.Equal(new[] { "qm", "guest", "cmd", "1001", "network-get-interfaces" }, Argv(QmCommand.NetworkGetInterfaces(1001)));
        Assert.Equal("InvalidGuestCommand", Assert.Throws<PhoenixException>(() => QmCommand.GuestCmd(1001, "file-read")).Reason);
    }

    [Fact]
    public void Storage_and_api_commands_build_exact_argv()
    {
        Assert.Equal(new[] { "pvesm", "status" }, Argv(QmCommand.PvesmStatus()));
        Assert.Equal(new[] { "pvesm", "status", "--storage", "local" }, Argv(QmCommand.PvesmStatus("local")));
        Assert.Equal(new[] { "pvesm", "path", "local:snippets/user-data-1001.yml" }, Argv(QmCommand.PvesmPath("local:snippets/user-data-1001.yml")));
        Assert.Equal("InvalidVolumeId", Assert.Throws<PhoenixException>(() => QmCommand.PvesmPath("snippets/user-data.yml")).Reason);
        Assert.Equal(new[] { "pvesh", "get", "/cluster/nextid" }, Argv(QmCommand.NextId()));
        Assert.Equal(new[] { "pvesh", "get", "/cluster/nextid", "--vmid", "1001" }, Argv(QmCommand.NextId(1001)));
        Assert.Equal(new[] { "pvesh", "get", "/cluster/resources", "--type", "vm", "--output-format", "json" }, Argv(QmCommand.ClusterResources()));
        Assert.Equal(new[] { "pvesh", "get", "/nodes/pve/status" }, Argv(QmCommand.PveshGet("/nodes/pve/status")));
        Assert.Equal("InvalidApiPath", Assert.Throws<PhoenixException>(() => QmCommand.PveshGet("cluster/nextid")).Reason);
    }

    [Fact]
    public void Reads_are_marked_read_only_and_changes_are_not()
    {
        var reads = new[]
        {
            QmCommand.List(), QmCommand.Status(1001), QmCommand.Config(1001), QmCommand.ListSnapshot(1001),
            QmCommand.CloudInitDump(1001, CloudInitDumpType.User), QmCommand.CloudInitPending(1001), QmCommand.GuestExecStatus(1001, 1),
            QmCommand.AgentPing(1001), QmCommand.NetworkGetInterfaces(1001), QmCommand.PvesmStatus(),
            QmCommand.PvesmPath("local:snippets/a.yml"), QmCommand.NextId(), QmCommand.ClusterResources(),
        };
        var changes = new[]
        {
            QmCommand.Set(1001, new[] { P("cores", "2") }), QmCommand.Clone(9000, 1001), QmCommand.Start(1001),
            QmCommand.Stop(1001), QmCommand.Shutdown(1001), QmCommand.Destroy(1001), QmCommand.Template(1001),
            QmCommand.Snapshot(1001, "s1"), QmCommand.DelSnapshot(1001, "s1"), QmCommand.Rollback(1001, "s1"),
            QmCommand.Unlock(1001), QmCommand.CloudInitUpdate(1001), QmCommand.GuestExec(1001, new[] { "true" }),
            QmCommand.GuestCmd(1001, "shutdown"), QmCommand.Create(1001), QmCommand.ImportDisk(1001, "/tmp/x.img", "local-lvm"),
            QmCommand.Resize(1001, "scsi0", "+1G"),
        };
        Assert.All(reads, c => Assert.True(CommandIntent.IsReadOnly(c), c.ToDisplayString()));
        Assert.All(changes, c => Assert.False(CommandIntent.IsReadOnly(c), c.ToDisplayString()));
        // Identity, not text: an identical command built by hand is not marked.
        Assert.False(CommandIntent.IsReadOnly(new RemoteCommand("qm", "list")));
    }

    [Theory]
    [InlineData(99)]
    [InlineData(0)]
    [InlineData(-100)]
    [InlineData(1000000000)]
    public void Every_builder_refuses_a_vmid_Proxmox_refuses(int vmId)
    {
        var e = Assert.Throws<PhoenixException>(() => QmCommand.Start(vmId));
        Assert.Equal("InvalidVmId", e.Reason);
        Assert.Equal(PhoenixErrorKind.InvalidArgument, e.Kind);
        Assert.Throws<PhoenixException>(() => QmCommand.Config(vmId));
        Assert.Throws<PhoenixException>(() => QmCommand.GuestExec(vmId, new[] { "true" }));
    }
}
