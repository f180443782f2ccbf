using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;
using Xunit;

namespace Phoenix.Engine.Tests.Proxmox;

public class ProxmoxErrorTests
{
    private static ProxmoxException Classify(string stdErr, int? vmId = 1001, int exitCode = 255, string stdOut = "", RemoteCommand? command = null) =>
        ProxmoxError.Classify(new CommandResult(exitCode, stdOut, stdErr), command ?? QmCommand.Start(vmId ?? 1001), vmId);

    [Fact]
    public void Vm_locked_names_the_lock_is_transient_and_gives_the_unlock_advice()
    {
        var e = Classify("VM is locked (clone)\n");

        Assert.Equal(ProxmoxErrorReason.VmLocked, e.ProxmoxReason);
        Assert.Equal("VmLocked", e.Reason);
        Assert.Equal(PhoenixErrorKind.InvalidOperation, e.Kind);
        Assert.Equal("clone", e.LockName);
        Assert.True(e.IsTransient);
        Assert.Equal(1001, e.Target);
        Assert.Equal(1001, e.VmId);
        Assert.Equal("VM is locked (clone)", e.ProxmoxMessage);
        Assert.Equal(255, e.ExitCode);
        Assert.Equal("qm start 1001", e.Command);
        Assert.Equal(
            "VM 1001 is locked (clone): a Proxmox task is working on it, or a task that ended abnormally left its lock behind. " +
            "Phoenix waits for locks to clear but never removes one itself. Check that no task is running for VM 1001 (the node's Tasks view, or `ps -ef | grep 'qm.*1001'` on the host); only then run `qm unlock 1001` on the host and try again. " +
            "Proxmox said: VM is locked (clone)",
            e.Message);
        Assert.Contains("qm unlock 1001", e.RecommendedAction);
    }

    [Fact]
    public void Vm_locked_inside_a_task_error_is_found_too()
    {
        var e = Classify("clone failed: VM is locked (snapshot)\n", vmId: 9000, stdOut: "creating a clone of VM 9000 with ID 1001\n");
        Assert.Equal(ProxmoxErrorReason.VmLocked, e.ProxmoxReason);
        Assert.Equal("snapshot", e.LockName);
        Assert.Equal(9000, e.Target);
    }

    [Fact]
    public void A_suspended_lock_is_not_waited_for()
    {
        var e = Classify("VM is locked (suspended)\n");
        Assert.Equal(ProxmoxErrorReason.VmLocked, e.ProxmoxReason);
        Assert.False(e.IsTransient);
        Assert.Contains("qm resume 1001", e.Message);
    }

    [Fact]
    public void Lock_timeout_is_transient_and_takes_the_vmid_from_the_lock_file()
    {
        var e = Classify("trying to acquire lock...\ncan't lock file '/var/lock/qemu-server/lock-1002.conf' - got timeout\n", vmId: null);

        Assert.Equal(ProxmoxErrorReason.LockTimeout, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.OperationTimeout, e.Kind);
        Assert.True(e.IsTransient);
        Assert.Equal(1002, e.Target);
        Assert.Contains("/var/lock/qemu-server/lock-1002.conf", e.Message);
        Assert.Contains("Proxmox said: trying to acquire lock...\ncan't lock file '/var/lock/qemu-server/lock-1002.conf' - got timeout", e.Message);
    }

    [Theory]
    [InlineData("Configuration file 'nodes/pve/qemu-server/1001.conf' does not exist\n")]
    [InlineData("unable to find configuration file for VM 1001 on node 'pve'\n")]
    public void Missing_config_is_vm_not_found(string stdErr)
    {
        var e = Classify(stdErr, vmId: null, exitCode: 2);
        Assert.Equal(ProxmoxErrorReason.VmNotFound, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.NotFound, e.Kind);
        Assert.Equal(1001, e.Target);
        Assert.StartsWith("VM 1001 does not exist on node 'pve'.", e.Message);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public void Existing_target_of_a_clone_is_already_exists_for_the_new_vmid()
    {
        var e = Classify("unable to create VM 1001: config file already exists\n", vmId: 9000, command: QmCommand.Clone(9000, 1001));
        Assert.Equal(ProxmoxErrorReason.AlreadyExists, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.AlreadyExists, e.Kind);
        Assert.Equal(1001, e.Target);
        Assert.StartsWith("VMID 1001 is already taken by another VM or container.", e.Message);
    }

    [Fact]
    public void Nextid_param_error_is_already_exists_with_its_parameter()
    {
        var e = Classify("400 Parameter verification failed.\nvmid: VM 1001 already exists\n\npvesh get <api_path> [OPTIONS] [FORMAT_OPTIONS]\n", vmId: null, command: QmCommand.NextId(1001));
        Assert.Equal(ProxmoxErrorReason.AlreadyExists, e.ProxmoxReason);
        Assert.Equal(1001, e.Target);
        Assert.Equal(new[] { new KeyValuePair<string, string>("vmid", "VM 1001 already exists") }, e.Parameters);
    }

    [Fact]
    public void Snapshot_exists_and_not_found_name_the_snapshot()
    {
        var exists = Classify("snapshot name 'pre-features' already used\n");
        Assert.Equal(ProxmoxErrorReason.SnapshotExists, exists.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.AlreadyExists, exists.Kind);
        Assert.Equal("pre-features", exists.SnapshotName);
        Assert.Contains("qm delsnapshot 1001 pre-features", exists.Message);

        var missing = Classify("snapshot 'golden' does not exist\n");
        Assert.Equal(ProxmoxErrorReason.SnapshotNotFound, missing.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.NotFound, missing.Kind);
        Assert.Equal("golden", missing.SnapshotName);
        Assert.Contains("qm listsnapshot 1001", missing.Message);
    }

    [Fact]
    public void Reserved_snapshot_name_is_an_invalid_argument()
    {
        var e = Classify("unable to use snapshot name 'current' (reserved name)\n");
        Assert.Equal(ProxmoxErrorReason.InvalidSnapshotName, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.InvalidArgument, e.Kind);
        Assert.Equal("current", e.SnapshotName);
    }

    [Fact]
    public void Parameter_verification_block_is_parsed_into_pairs()
    {
        const string stdErr =
            "400 Parameter verification failed.\n" +
            "snapname: invalid format - invalid configuration ID 'x'\n" +
            "\n" +
            "storage: storage 'nfs-iso' does not support vm images\n" +
            "qm clone <vmid> <newid> [OPTIONS]\n";

        var e = Classify(stdErr, vmId: 9000);

        Assert.Equal(ProxmoxErrorReason.ParameterVerificationFailed, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(new[]
        {
            new KeyValuePair<string, string>("snapname", "invalid format - invalid configuration ID 'x'"),
            new KeyValuePair<string, string>("storage", "storage 'nfs-iso' does not support vm images"),
        }, e.Parameters);
        Assert.StartsWith("VM 9000: Proxmox refused the parameters: snapname: invalid format - invalid configuration ID 'x'; storage: storage 'nfs-iso' does not support vm images.", e.Message);
        Assert.Contains("Proxmox said: 400 Parameter verification failed.", e.Message);
    }

    [Fact]
    public void Parameter_errors_are_empty_without_the_block()
    {
        Assert.Empty(ProxmoxError.ParseParameterErrors("VM is locked (clone)\n"));
        Assert.Equal(new[] { new KeyValuePair<string, string>("snapname", "value may only be 40 characters long") },
            ProxmoxError.ParseParameterErrors("400 Parameter verification failed.\nsnapname: value may only be 40 characters long\nqm snapshot <vmid> <snapname> [OPTIONS]\n"));
    }

    [Fact]
    public void Linked_clone_refusal_explains_it_is_a_storage_feature()
    {
        var e = Classify("clone failed: Linked clone feature is not supported for 'local-lvm:vm-1001-disk-0' (scsi0)\n", vmId: 1001);

        Assert.Equal(ProxmoxErrorReason.LinkedCloneNotSupported, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.InvalidOperation, e.Kind);
        Assert.Equal("local-lvm:vm-1001-disk-0", e.VolumeId);
        Assert.Equal("local-lvm", e.StorageId);
        Assert.Contains("storage feature", e.Message);
        Assert.Contains("template", e.Message);
        Assert.Contains("LVM-thin, ZFS, Ceph RBD", e.Message);
        Assert.Contains("full clone", e.RecommendedAction);
    }

    [Fact]
    public void Linked_clone_of_a_snapshot_names_the_storages_that_can()
    {
        var e = Classify("clone failed: Linked clone feature is not supported for a snapshot of 'local:1001/vm-1001-disk-0.qcow2' (scsi0)\n");
        Assert.Equal(ProxmoxErrorReason.LinkedCloneNotSupported, e.ProxmoxReason);
        Assert.Contains("only LVM-thin and Ceph RBD", e.Message);
    }

    [Fact]
    public void Full_clone_from_a_snapshot_on_zfs_says_zfs_cannot_and_who_can()
    {
        var e = Classify("clone failed: Full clone feature is not supported for a snapshot of 'local-zfs:vm-1001-disk-0' (scsi0)\n");

        Assert.Equal(ProxmoxErrorReason.FullCloneNotSupported, e.ProxmoxReason);
        Assert.Equal("local-zfs", e.StorageId);
        Assert.Contains("storage feature", e.Message);
        Assert.Contains("LVM-thin, Ceph RBD and qcow2 disks on directory-type storage", e.Message);
        Assert.Contains("ZFS", e.Message);
        Assert.Contains("Proxmox said: clone failed: Full clone feature is not supported for a snapshot of 'local-zfs:vm-1001-disk-0' (scsi0)", e.Message);
    }

    [Fact]
    public void Guest_agent_failures_are_told_apart()
    {
        var notRunning = Classify("VM 1001 is not running\n");
        Assert.Equal(ProxmoxErrorReason.NotRunning, notRunning.ProxmoxReason);
        Assert.Contains("qm start 1001", notRunning.Message);

        var notConfigured = Classify("No QEMU guest agent configured\n");
        Assert.Equal(ProxmoxErrorReason.AgentNotConfigured, notConfigured.ProxmoxReason);
        Assert.Contains("qm set 1001 --agent 1", notConfigured.Message);

        var agentDown = Classify("QEMU guest agent is not running\n");
        Assert.Equal(ProxmoxErrorReason.AgentNotRunning, agentDown.ProxmoxReason);
        Assert.Contains("qemu-guest-agent", agentDown.Message);

        var agentError = Classify("Agent error: Guest agent command failed, error was 'Failed to execute child process “x” (No such file or directory)'\n");
        Assert.Equal(ProxmoxErrorReason.GuestAgentError, agentError.ProxmoxReason);
        Assert.Contains("Failed to execute child process “x” (No such file or directory)", agentError.Message);
    }

    [Theory]
    [InlineData("you can't start a vm if it's a template", "VM 1001 is a template, and Proxmox does not start templates.")]
    [InlineData("you can't take a snapshot if it's a template", "VM 1001 is a template, and Proxmox does not snapshot templates.")]
    [InlineData("you can't rollback if vm is a template", "VM 1001 is a template, and a template cannot be rolled back.")]
    [InlineData("you can't convert a template to a template", "VM 1001 is already a template.")]
    [InlineData("unable to create template, because VM contains snapshots", "VM 1001 has snapshots, and Proxmox converts only VMs without snapshots into templates.")]
    [InlineData("you can't convert a VM to template if VM is running", "VM 1001 is running, and only a stopped VM can become a template.")]
    public void Template_operations_say_what_is_wrong(string stdErr, string summary)
    {
        var e = Classify(stdErr + "\n");
        Assert.Equal(ProxmoxErrorReason.TemplateOperation, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.InvalidOperation, e.Kind);
        Assert.StartsWith(summary, e.Message);
        Assert.EndsWith("Proxmox said: " + stdErr, e.Message);
    }

    [Fact]
    public void Base_volume_in_use_names_the_volume()
    {
        var e = Classify("base volume 'local-lvm:base-9000-disk-0' is still in use by linked cloned\n", vmId: 9000);
        Assert.Equal(ProxmoxErrorReason.BaseVolumeInUse, e.ProxmoxReason);
        Assert.Equal("local-lvm:base-9000-disk-0", e.VolumeId);
        Assert.StartsWith("Template 9000 still has linked clones that use its base volume 'local-lvm:base-9000-disk-0'.", e.Message);
    }

    [Theory]
    [InlineData("can't find file 'local:snippets/user-data-1001.yml'", "local:snippets/user-data-1001.yml")]
    [InlineData("local:iso/user-data-1001.yml is not in the snippets directory", "local:iso/user-data-1001.yml")]
    public void Missing_snippets_are_snippets_not_found(string stdErr, string volume)
    {
        var e = Classify(stdErr + "\n");
        Assert.Equal(ProxmoxErrorReason.SnippetsNotFound, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.NotFound, e.Kind);
        Assert.Equal(volume, e.VolumeId);
        Assert.Equal("local", e.StorageId);
        Assert.Contains("'snippets' content type", e.Message);
    }

    [Theory]
    [InlineData("VM 1001 already running", ProxmoxErrorReason.AlreadyRunning)]
    [InlineData("VM 1001 is running - destroy failed", ProxmoxErrorReason.VmRunning)]
    [InlineData("can't remove VM 1001 - protection mode enabled", ProxmoxErrorReason.ProtectionEnabled)]
    [InlineData("VM quit/powerdown failed - got timeout", ProxmoxErrorReason.ShutdownTimeout)]
    [InlineData("storage 'fast' does not exist", ProxmoxErrorReason.StorageNotFound)]
    [InlineData("storage 'fast' is disabled", ProxmoxErrorReason.StorageNotFound)]
    [InlineData("snapshot feature is not available", ProxmoxErrorReason.SnapshotNotSupported)]
    [InlineData("400 not enough arguments", ProxmoxErrorReason.InvalidCommandLine)]
    [InlineData("ERROR: unknown command 'qm foo'", ProxmoxErrorReason.InvalidCommandLine)]
    [InlineData("parameter 'storage' not allowed for linked clones", ProxmoxErrorReason.ParameterVerificationFailed)]
    public void Other_known_strings_are_classified(string stdErr, ProxmoxErrorReason reason)
    {
        var e = Classify(stdErr + "\n");
        Assert.Equal(reason, e.ProxmoxReason);
        Assert.Equal(reason.ToString(), e.Reason);
        Assert.Equal(1001, e.Target);
        Assert.False(e.IsTransient);
        Assert.EndsWith("Proxmox said: " + stdErr, e.Message);
    }

    [Theory]
    [InlineData("cluster not ready - no quorum?", "The cluster has no quorum (fewer than half of its nodes are up)")]
    [InlineData("unable to open file '/etc/pve/nodes/pve1/qemu-server/1001.conf.tmp.4242' - Permission denied",
        "The cluster filesystem (/etc/pve) refused to change a VM's config; it turns read-only when the cluster has no quorum")]
    [InlineData("failed to remove config file: Permission denied", "The cluster filesystem (/etc/pve) refused to change a VM's config")]
    public void A_cluster_without_quorum_is_said_plainly_with_the_fix(string stdErr, string start)
    {
        var e = Classify(stdErr + "\n");
        // The command's VM may be a clone source, not the VM deployed: the caller names that one.
        Assert.Equal(ProxmoxErrorReason.NoQuorum, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.InvalidOperation, e.Kind);
        Assert.False(e.IsTransient);
        Assert.StartsWith(start, e.Message);
        Assert.Contains("Start the nodes that are down", e.Message);
        Assert.EndsWith("Proxmox said: " + stdErr, e.Message);
    }

    [Fact]
    public void A_missing_qm_means_not_a_proxmox_host()
    {
        var e = Classify("bash: line 1: qm: command not found\n", exitCode: 127);
        Assert.Equal(ProxmoxErrorReason.NotAProxmoxHost, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.NotInstalled, e.Kind);
    }

    [Fact]
    public void Anything_else_is_remote_command_failed_with_the_stderr()
    {
        var e = Classify("something unheard of happened\n", exitCode: 3);
        Assert.Equal(ProxmoxErrorReason.RemoteCommandFailed, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.RemoteCommandFailed, e.Kind);
        Assert.Equal(3, e.ExitCode);
        Assert.Equal("`qm start 1001` failed for VM 1001 (exit code 3). See Proxmox's message below for the cause. Proxmox said: something unheard of happened", e.Message);
    }

    [Fact]
    public void Messages_never_carry_the_cloud_init_password()
    {
        var command = QmCommand.Set(1001, new[] { new KeyValuePair<string, string>("cipassword", "$6$rounds=4096$secret") });
        var e = ProxmoxError.Classify(new CommandResult(255, "", "weird failure\n"), command, 1001);
        Assert.DoesNotContain("$6$rounds=4096$secret", e.Message);
        Assert.DoesNotContain("$6$rounds=4096$secret", e.Command);
        Assert.Contains("--cipassword '<redacted>'", e.Message);
    }

    [Fact]
    public void Lock_wait_exceeded_restates_the_lock_with_the_wait_and_the_unlock_advice()
    {
        var last = Classify("VM is locked (clone)\n");
        var e = ProxmoxError.LockWaitExceeded(last, TimeSpan.FromSeconds(120));

        Assert.Equal(ProxmoxErrorReason.VmLocked, e.ProxmoxReason);
        Assert.False(e.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(120), e.Waited);
        Assert.Same(last, e.InnerException);
        Assert.StartsWith("VM 1001 is still locked (clone) after Phoenix waited 2 min:", e.Message);
        Assert.Contains("only then run `qm unlock 1001` on the host", e.Message);
    }

    [Fact]
    public void Errors_without_a_vm_do_not_pretend_to_name_one()
    {
        var e = ProxmoxError.Classify(new CommandResult(255, "", "storage 'fast' does not exist\n"), QmCommand.PvesmStatus("fast"));
        Assert.Null(e.Target);
        Assert.Equal("fast", e.StorageId);
        Assert.StartsWith("Storage 'fast' does not exist. `pvesm status` on the host lists", e.Message);
    }
}
