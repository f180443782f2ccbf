using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>Which cloud-init document <c>qm cloudinit dump</c> prints.</summary>
    public enum CloudInitDumpType
    {
        /// <summary>user-data.</summary>
        User,
        /// <summary>network-config.</summary>
        Network,
        /// <summary>meta-data.</summary>
        Meta,
    }

    /// <summary>
    /// The one place that builds <c>qm</c>, <c>pvesm</c> and <c>pvesh</c> command lines. Every value
    /// with a Proxmox rule is checked here, before anything runs; failures are
    /// <see cref="Errors.PhoenixException"/>s of kind InvalidArgument. Commands that only read are
    /// marked with <see cref="CommandIntent.MarkReadOnly"/>, which is how -WhatIf tells reads from changes.
    /// </summary>
    public static class QmCommand
    {
        /// <summary>The VM manager.</summary>
        public const string Qm = "qm";

        /// <summary>The storage manager.</summary>
        public const string Pvesm = "pvesm";

        /// <summary>The API shell.</summary>
        public const string Pvesh = "pvesh";

        /// <summary>The largest standard input <c>qm guest exec --pass-stdin</c> accepts (1 MiB).</summary>
        public const int MaxGuestExecInput = 1024 * 1024;

        /// <summary>Options whose values are secrets: shown as <see cref="RemoteCommand.Redacted"/>.</summary>
        public static IReadOnlyCollection<string> SecretOptions { get; } = new[] { "cipassword" };

        /// <summary>The commands <c>qm guest cmd</c> knows.</summary>
        public static IReadOnlyCollection<string> GuestCommands { get; } = new[]
        {
            "fsfreeze-freeze", "fsfreeze-status", "fsfreeze-thaw", "fstrim", "get-fsinfo", "get-host-name",
            "get-memory-block-info", "get-memory-blocks", "get-osinfo", "get-time", "get-timezone", "get-users",
            "get-vcpus", "info", "network-get-interfaces", "ping", "shutdown", "suspend-disk", "suspend-hybrid",
            "suspend-ram",
        };

        private static readonly HashSet<string> ReadOnlyGuestCommands = new HashSet<string>(StringComparer.Ordinal)
        {
            "fsfreeze-status", "get-fsinfo", "get-host-name", "get-memory-block-info", "get-memory-blocks",
            "get-osinfo", "get-time", "get-timezone", "get-users", "get-vcpus", "info", "network-get-interfaces", "ping",
        };

        private static readonly string[] CloneFormats = { "raw", "qcow2", "vmdk" };

        private static readonly Regex DiskKeyPattern = new Regex(@"^(?:ide|sata|scsi|virtio)\d+$|^efidisk0$|^tpmstate0$", RegexOptions.CultureInvariant);

        private static readonly Regex DiskSizePattern = new Regex(@"^\+?\d+(?:\.\d+)?[KMGT]?$", RegexOptions.CultureInvariant);

        /// <summary><c>qm list</c>.</summary>
        public static RemoteCommand List() => Read(new RemoteCommand(Qm, "list"));

        /// <summary><c>qm status &lt;vmid&gt; [--verbose 1]</c>.</summary>
        public static RemoteCommand Status(int vmId, bool verbose = false)
        {
            var cmd = new RemoteCommand(Qm, "status", Id(vmId));
            if (verbose) cmd.AddOption("--verbose", "1");
            return Read(cmd);
        }

        /// <summary><c>qm config &lt;vmid&gt; [--current 1] [--snapshot &lt;name&gt;]</c>.</summary>
        public static RemoteCommand Config(int vmId, string? snapshot = null, bool current = false)
        {
            var cmd = new RemoteCommand(Qm, "config", Id(vmId));
            if (current) cmd.AddOption("--current", "1");
            if (snapshot != null)
            {
                ProxmoxNames.RequireSnapshotName(snapshot, vmId);
                cmd.AddOption("--snapshot", snapshot);
            }
            return Read(cmd);
        }

        /// <summary>
        /// <c>qm set &lt;vmid&gt; --k v ...</c> in the order given. <c>cipassword</c> is added as a
        /// secret. Note that qm reads <c>--sshkeys</c> as a path to a file on the host.
        /// </summary>
        public static RemoteCommand Set(int vmId, IEnumerable<KeyValuePair<string, string>> options)
        {
            var cmd = new RemoteCommand(Qm, "set", Id(vmId));
            if (AddOptions(cmd, options, vmId) == 0)
                throw ProxmoxNames.Invalid(ErrorIds.NoOptions, $"VM {vmId}: qm set needs at least one option.", vmId);
            return cmd;
        }

        /// <summary>
        /// <c>qm clone &lt;vmid&gt; &lt;newid&gt; [--name n] [--description d] [--pool p] [--snapname s]
        /// [--storage s] [--format f] [--full 1|0] [--target node]</c>. With <paramref name="full"/>
        /// null Proxmox decides: linked from a template, full otherwise.
        /// </summary>
        public static RemoteCommand Clone(int vmId, int newId, string? name = null, bool? full = null, string? snapName = null,
            string? storage = null, string? format = null, string? target = null, string? description = null, string? pool = null)
        {
            var cmd = new RemoteCommand(Qm, "clone", Id(vmId), Id(newId, "new VMID"));
            if (vmId == newId)
                throw ProxmoxNames.Invalid(ErrorIds.InvalidVmId, $"VM {vmId}: a clone needs a VMID of its own, not {newId}.", newId);
            if (full == false && storage != null)
                throw ProxmoxNames.Invalid(ErrorIds.StorageNeedsFullClone,
                    $"VM {newId}: a target storage ('{storage}') needs a full clone; Proxmox refuses --storage for linked clones.", newId);
            if (full == false && format != null)
                throw ProxmoxNames.Invalid(ErrorIds.FormatNeedsFullClone,
                    $"VM {newId}: a disk format ('{format}') needs a full clone; Proxmox refuses --format for linked clones.", newId);
            if (name != null)
            {
                ProxmoxNames.RequireVmName(name, newId);
                cmd.AddOption("--name", name);
            }
            if (description != null) cmd.AddOption("--description", description);
            if (pool != null) cmd.AddOption("--pool", pool);
            if (snapName != null)
            {
                ProxmoxNames.RequireSnapshotName(snapName, vmId);
                cmd.AddOption("--snapname", snapName);
            }
            if (storage != null)
            {
                ProxmoxNames.RequireStorageId(storage, newId);
                cmd.AddOption("--storage", storage);
            }
            if (format != null)
            {
                if (Array.IndexOf(CloneFormats, format) < 0)
                    throw ProxmoxNames.Invalid(ErrorIds.InvalidFormat,
                        $"VM {newId}: disk format '{format}' is not one of {string.Join(", ", CloneFormats)}.", newId);
                cmd.AddOption("--format", format);
            }
            if (full.HasValue) cmd.AddOption("--full", Bool(full.Value));
            if (target != null)
            {
                ProxmoxNames.RequireNodeName(target, newId);
                cmd.AddOption("--target", target);
            }
            return cmd;
        }

        /// <summary>
        /// <c>qm migrate &lt;vmid&gt; &lt;target&gt;</c>: an offline migration (the VM stopped); local disks are copied without
        /// a flag (proxmox-behaviour.md section 8).
        /// </summary>
        public static RemoteCommand Migrate(int vmId, string target)
        {
            ProxmoxNames.RequireNodeName(target, vmId);
            return new RemoteCommand(Qm, "migrate", Id(vmId), target);
        }

        /// <summary><c>qm start &lt;vmid&gt;</c>.</summary>
        public static RemoteCommand Start(int vmId) => new RemoteCommand(Qm, "start", Id(vmId));

        /// <summary><c>qm stop &lt;vmid&gt; [--timeout N]</c>: hard stop.</summary>
        public static RemoteCommand Stop(int vmId, int? timeoutSeconds = null)
        {
            var cmd = new RemoteCommand(Qm, "stop", Id(vmId));
            if (timeoutSeconds.HasValue) cmd.AddOption("--timeout", Seconds(timeoutSeconds.Value, vmId));
            return cmd;
        }

        /// <summary><c>qm shutdown &lt;vmid&gt; [--timeout N] [--forceStop 1]</c>: graceful, then optionally hard.</summary>
        public static RemoteCommand Shutdown(int vmId, int? timeoutSeconds = null, bool forceStop = false)
        {
            var cmd = new RemoteCommand(Qm, "shutdown", Id(vmId));
            if (timeoutSeconds.HasValue) cmd.AddOption("--timeout", Seconds(timeoutSeconds.Value, vmId));
            if (forceStop) cmd.AddOption("--forceStop", "1");
            return cmd;
        }

        /// <summary><c>qm destroy &lt;vmid&gt; [--purge 1]</c>.</summary>
        public static RemoteCommand Destroy(int vmId, bool purge = false)
        {
            var cmd = new RemoteCommand(Qm, "destroy", Id(vmId));
            if (purge) cmd.AddOption("--purge", "1");
            return cmd;
        }

        /// <summary><c>qm template &lt;vmid&gt;</c>.</summary>
        public static RemoteCommand Template(int vmId) => new RemoteCommand(Qm, "template", Id(vmId));

        /// <summary><c>qm snapshot &lt;vmid&gt; &lt;name&gt; [--description d] [--vmstate 1]</c>.</summary>
        public static RemoteCommand Snapshot(int vmId, string name, string? description = null, bool vmState = false)
        {
            var cmd = new RemoteCommand(Qm, "snapshot", Id(vmId), SnapName(name, vmId));
            if (description != null) cmd.AddOption("--description", description);
            if (vmState) cmd.AddOption("--vmstate", "1");
            return cmd;
        }

        /// <summary><c>qm listsnapshot &lt;vmid&gt;</c>.</summary>
        public static RemoteCommand ListSnapshot(int vmId) => Read(new RemoteCommand(Qm, "listsnapshot", Id(vmId)));

        /// <summary><c>qm delsnapshot &lt;vmid&gt; &lt;name&gt; [--force 1]</c>.</summary>
        public static RemoteCommand DelSnapshot(int vmId, string name, bool force = false)
        {
            var cmd = new RemoteCommand(Qm, "delsnapshot", Id(vmId), SnapName(name, vmId));
            if (force) cmd.AddOption("--force", "1");
            return cmd;
        }

        /// <summary><c>qm rollback &lt;vmid&gt; &lt;name&gt; [--start 1]</c>.</summary>
        public static RemoteCommand Rollback(int vmId, string name, bool start = false)
        {
            var cmd = new RemoteCommand(Qm, "rollback", Id(vmId), SnapName(name, vmId));
            if (start) cmd.AddOption("--start", "1");
            return cmd;
        }

        /// <summary><c>qm unlock &lt;vmid&gt;</c>. Phoenix never runs this on its own; it exists for a user's explicit request.</summary>
        public static RemoteCommand Unlock(int vmId) => new RemoteCommand(Qm, "unlock", Id(vmId));

        /// <summary><c>qm cloudinit update &lt;vmid&gt;</c>: regenerates the cloud-init drive.</summary>
        public static RemoteCommand CloudInitUpdate(int vmId) => new RemoteCommand(Qm, "cloudinit", "update", Id(vmId));

        /// <summary><c>qm cloudinit dump &lt;vmid&gt; user|network|meta</c>.</summary>
        public static RemoteCommand CloudInitDump(int vmId, CloudInitDumpType type)
        {
            string typeName;
            switch (type)
            {
                case CloudInitDumpType.User: typeName = "user"; break;
                case CloudInitDumpType.Network: typeName = "network"; break;
                case CloudInitDumpType.Meta: typeName = "meta"; break;
                default: throw new ArgumentOutOfRangeException(nameof(type));
            }
            return Read(new RemoteCommand(Qm, "cloudinit", "dump", Id(vmId), typeName));
        }

        /// <summary><c>qm cloudinit pending &lt;vmid&gt;</c>.</summary>
        public static RemoteCommand CloudInitPending(int vmId) => Read(new RemoteCommand(Qm, "cloudinit", "pending", Id(vmId)));

        /// <summary>
        /// <c>qm guest exec &lt;vmid&gt; [--synchronous 0] [--timeout N] [--pass-stdin 1] -- &lt;argv...&gt;</c>.
        /// The guest runs <paramref name="argv"/> without a shell. <paramref name="standardInput"/>
        /// (at most 1 MiB) is sent on qm's standard input. <paramref name="timeoutSeconds"/> is how
        /// long qm waits before it answers with the pid instead (0 waits forever; Proxmox's default is 30).
        /// </summary>
        public static RemoteCommand GuestExec(int vmId, IReadOnlyList<string> argv, byte[]? standardInput = null,
            int? timeoutSeconds = null, bool synchronous = true, bool standardInputIsSecret = false)
        {
            if (argv == null) throw new ArgumentNullException(nameof(argv));
            if (argv.Count == 0 || string.IsNullOrEmpty(argv[0]))
                throw ProxmoxNames.Invalid(ErrorIds.NoGuestCommand, $"VM {vmId}: qm guest exec needs a program to run in the guest.", vmId);
            if (!synchronous && timeoutSeconds.HasValue)
                throw ProxmoxNames.Invalid(ErrorIds.TimeoutNeedsSynchronous,
                    $"VM {vmId}: a guest exec timeout only applies to synchronous runs (Proxmox: synchronous: needs to be set for 'timeout').", vmId);
            if (standardInput != null && standardInput.Length > MaxGuestExecInput)
                throw ProxmoxNames.Invalid(ErrorIds.GuestInputTooLarge,
                    $"VM {vmId}: {standardInput.Length} bytes of standard input is more than the 1 MiB qm guest exec accepts; send the data in " +
                    $"parts or as a file.", vmId);

            var cmd = new RemoteCommand(Qm, "guest", "exec", Id(vmId));
            if (!synchronous) cmd.AddOption("--synchronous", "0");
            if (timeoutSeconds.HasValue) cmd.AddOption("--timeout", Seconds(timeoutSeconds.Value, vmId));
            if (standardInput != null)
            {
                cmd.AddOption("--pass-stdin", "1");
                cmd.StandardInput = standardInput;
                cmd.StandardInputIsSecret = standardInputIsSecret;
            }
            cmd.Add("--");
            cmd.Add(argv.ToArray());
            return cmd;
        }

        /// <summary><c>qm guest exec-status &lt;vmid&gt; &lt;pid&gt;</c>.</summary>
        public static RemoteCommand GuestExecStatus(int vmId, long pid)
        {
            if (pid < 0) throw ProxmoxNames.Invalid(ErrorIds.InvalidPid, $"VM {vmId}: {pid} is not a guest process ID.", vmId);
            return Read(new RemoteCommand(Qm, "guest", "exec-status", Id(vmId), pid.ToString(CultureInfo.InvariantCulture)));
        }

        /// <summary><c>qm guest cmd &lt;vmid&gt; &lt;command&gt;</c> for one of <see cref="GuestCommands"/>.</summary>
        public static RemoteCommand GuestCmd(int vmId, string command)
        {
            if (!GuestCommands.Contains(command))
                throw ProxmoxNames.Invalid(ErrorIds.InvalidGuestCommand,
                    $"VM {vmId}: '{command}' is not a qm guest cmd command (one of {string.Join(", ", GuestCommands)}).", vmId);
            var cmd = new RemoteCommand(Qm, "guest", "cmd", Id(vmId), command);
            return ReadOnlyGuestCommands.Contains(command) ? Read(cmd) : cmd;
        }

        /// <summary><c>qm guest cmd &lt;vmid&gt; ping</c>.</summary>
        public static RemoteCommand AgentPing(int vmId) => GuestCmd(vmId, "ping");

        /// <summary><c>qm guest cmd &lt;vmid&gt; network-get-interfaces</c>.</summary>
        public static RemoteCommand NetworkGetInterfaces(int vmId) => GuestCmd(vmId, "network-get-interfaces");

        /// <summary><c>qm create &lt;vmid&gt; --k v ...</c> in the order given (cipassword as a secret).</summary>
        public static RemoteCommand Create(int vmId, IEnumerable<KeyValuePair<string, string>>? options = null)
        {
            var cmd = new RemoteCommand(Qm, "create", Id(vmId));
            if (options != null) AddOptions(cmd, options, vmId);
            return cmd;
        }

        /// <summary><c>qm importdisk &lt;vmid&gt; &lt;source&gt; &lt;storage&gt; [--format f]</c>: the disk lands as unusedN.</summary>
        public static RemoteCommand ImportDisk(int vmId, string sourcePath, string storage, string? format = null)
        {
            if (string.IsNullOrEmpty(sourcePath))
                throw ProxmoxNames.Invalid(ErrorIds.NoSourcePath, $"VM {vmId}: qm importdisk needs the path of an image on the host.", vmId);
            ProxmoxNames.RequireStorageId(storage, vmId);
            var cmd = new RemoteCommand(Qm, "importdisk", Id(vmId), sourcePath, storage);
            if (format != null)
            {
                if (Array.IndexOf(CloneFormats, format) < 0)
                    throw ProxmoxNames.Invalid(ErrorIds.InvalidFormat,
                        $"VM {vmId}: disk format '{format}' is not one of {string.Join(", ", CloneFormats)}.", vmId);
                cmd.AddOption("--format", format);
            }
            return cmd;
        }

        /// <summary><c>qm resize &lt;vmid&gt; &lt;disk&gt; &lt;size&gt;</c>; size like <c>32G</c> (absolute) or <c>+10G</c> (grow by).</summary>
        public static RemoteCommand Resize(int vmId, string disk, string size)
        {
            if (disk == null || !DiskKeyPattern.IsMatch(disk))
                throw ProxmoxNames.Invalid(ErrorIds.InvalidDisk, $"VM {vmId}: '{disk}' is not a disk key (scsi0, virtio0, sata0, ide0, efidisk0, ...).", vmId);
            if (size == null || !DiskSizePattern.IsMatch(size))
                throw ProxmoxNames.Invalid(ErrorIds.InvalidDiskSize, $"VM {vmId}: '{size}' is not a disk size (for example 32G or +10G).", vmId);
            return new RemoteCommand(Qm, "resize", Id(vmId), disk, size);
        }

        /// <summary><c>pvesm status [--storage s] [--content c]</c> (with a content type, only the storages enabled here that hold it).</summary>
        public static RemoteCommand PvesmStatus(string? storage = null, string? content = null)
        {
            var cmd = new RemoteCommand(Pvesm, "status");
            if (storage != null)
            {
                ProxmoxNames.RequireStorageId(storage, null);
                cmd.AddOption("--storage", storage);
            }
            if (content != null)
            {
                if (!ProxmoxNames.IsValidOptionName(content))
                    throw ProxmoxNames.Invalid(ErrorIds.InvalidOption, $"'{content}' is not a storage content type (images, snippets, iso, ...).", content);
                cmd.AddOption("--content", content);
            }
            return Read(cmd);
        }

        /// <summary><c>pvesm path &lt;volid&gt;</c>: the file system path of a volume (no existence check).</summary>
        public static RemoteCommand PvesmPath(string volumeId)
        {
            ProxmoxNames.RequireVolumeId(volumeId, null);
            return Read(new RemoteCommand(Pvesm, "path", volumeId));
        }

        /// <summary><c>pvesh get &lt;path&gt; [--k v ...]</c>.</summary>
        public static RemoteCommand PveshGet(string path, IEnumerable<KeyValuePair<string, string>>? options = null)
        {
            if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Any(char.IsWhiteSpace))
                throw ProxmoxNames.Invalid(ErrorIds.InvalidApiPath, $"'{path}' is not a Proxmox API path (for example /cluster/nextid).", path);
            var cmd = new RemoteCommand(Pvesh, "get", path);
            if (options != null)
            {
                foreach (var option in options)
                {
                    if (!ProxmoxNames.IsValidOptionName(option.Key))
                        throw ProxmoxNames.Invalid(ErrorIds.InvalidOption, $"'{option.Key}' is not an option name for pvesh.", path);
                    cmd.AddOption("--" + option.Key, option.Value ?? throw new ArgumentException($"Option '{option.Key}' has no value.", nameof(options)));
                }
            }
            return Read(cmd);
        }

        /// <summary><c>pvesh get /cluster/nextid [--vmid N]</c>: the lowest free VMID, or whether N is free.</summary>
        public static RemoteCommand NextId(int? vmId = null) =>
            PveshGet("/cluster/nextid", vmId.HasValue ? new[] { Pair("vmid", Id(vmId.Value)) } : null);

        /// <summary><c>pvesh get /nodes --output-format json</c>: the nodes of the cluster (the lone node outside one), online or not.</summary>
        public static RemoteCommand Nodes() => PveshGet("/nodes", new[] { Pair("output-format", "json") });

        /// <summary><c>pvesh get /cluster/resources --type vm --output-format json</c>: every VM and container of the cluster.</summary>
        public static RemoteCommand ClusterResources() =>
            PveshGet("/cluster/resources", new[] { Pair("type", "vm"), Pair("output-format", "json") });

        /// <summary><c>pvesh get /cluster/resources --output-format json</c>: every guest, node and storage (per node) of the cluster.</summary>
        public static RemoteCommand AllClusterResources() =>
            PveshGet("/cluster/resources", new[] { Pair("output-format", "json") });

        /// <summary><c>pvesh get /cluster/status --output-format json</c>: the cluster's name and quorum, and its nodes with address and state.</summary>
        public static RemoteCommand ClusterStatus() => PveshGet("/cluster/status", new[] { Pair("output-format", "json") });

        private static KeyValuePair<string, string> Pair(string key, string value) => new KeyValuePair<string, string>(key, value);

        private static int AddOptions(RemoteCommand cmd, IEnumerable<KeyValuePair<string, string>> options, int vmId)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var option in options)
            {
                if (!ProxmoxNames.IsValidOptionName(option.Key))
                    throw ProxmoxNames.Invalid(ErrorIds.InvalidOption,
                        $"VM {vmId}: '{option.Key}' is not a VM option name (lower-case letters, digits, '-' and '_', for example cores or net0).", vmId);
                if (!seen.Add(option.Key))
                    throw ProxmoxNames.Invalid(ErrorIds.DuplicateOption, $"VM {vmId}: option '{option.Key}' is given twice.", vmId);
                if (option.Value == null)
                    throw ProxmoxNames.Invalid(ErrorIds.InvalidOption,
                        $"VM {vmId}: option '{option.Key}' has no value; use the 'delete' option to remove a setting.", vmId);
                cmd.AddOption("--" + option.Key, option.Value, SecretOptions.Contains(option.Key));
            }
            return seen.Count;
        }

        private static string Id(int vmId, string what = "VMID")
        {
            ProxmoxNames.RequireVmId(vmId, what);
            return vmId.ToString(CultureInfo.InvariantCulture);
        }

        private static string SnapName(string name, int vmId)
        {
            ProxmoxNames.RequireSnapshotName(name, vmId);
            return name;
        }

        private static string Seconds(int seconds, int vmId)
        {
            if (seconds < 0) throw ProxmoxNames.Invalid(ErrorIds.InvalidTimeout, $"VM {vmId}: a timeout cannot be negative ({seconds} s).", vmId);
            return seconds.ToString(CultureInfo.InvariantCulture);
        }

        private static string Bool(bool value) => value ? "1" : "0";

        private static RemoteCommand Read(RemoteCommand command) => CommandIntent.MarkReadOnly(command);
    }
}
