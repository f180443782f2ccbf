using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>
    /// Turns a failed qm/pvesm/pvesh command into a <see cref="ProxmoxException"/>: which failure it
    /// is, which VM it concerns, what to do about it, with Proxmox's own text kept in the message.
    /// The strings matched are those of proxmox-behaviour.md; older and newer variants both match.
    /// </summary>
    public static class ProxmoxError
    {
        private const RegexOptions Opts = RegexOptions.CultureInvariant;
        private const int MaxQuotedLength = 2000;

        private static readonly Regex CommandNotFound = new Regex(@"\b(?:qm|pvesm|pvesh): (?:command )?not found", Opts);
        private static readonly Regex LockTimeout = new Regex(@"can't lock file '(?<file>[^']*)' - got timeout", Opts);
        private static readonly Regex LockFileVmId = new Regex(@"lock-(?<id>\d+)\.conf", Opts);
        private static readonly Regex VmLocked = new Regex(@"VM is locked \((?<lock>[^)]*)\)", Opts);
        private static readonly Regex ConfigMissing = new Regex(@"Configuration file 'nodes/(?<node>[^/']+)/qemu-server/(?<id>\d+)\.conf' does not exist", Opts);
        private static readonly Regex ConfigMissingCheckRunning = new Regex(@"unable to find configuration file for VM (?<id>\d+) on node '(?<node>[^']*)'", Opts);
        private static readonly Regex ConfigExists = new Regex(@"unable to create VM (?<id>\d+): config file already exists", Opts);
        private static readonly Regex VmExists = new Regex(@"VM (?<id>\d+) already exists", Opts);
        private static readonly Regex SnapshotUsed = new Regex(@"snapshot name '(?<snap>[^']*)' already used", Opts);
        private static readonly Regex SnapshotMissing = new Regex(@"snapshot '(?<snap>[^']*)' does not exist", Opts);
        private static readonly Regex SnapshotReserved = new Regex(@"unable to use snapshot name '(?<snap>[^']*)' \(reserved name\)", Opts);
        private static readonly Regex LinkedClone = new Regex(@"Linked clone feature is not supported for (?<ofsnap>a snapshot of )?'(?<vol>[^']*)' \((?<drive>[^)]*)\)", Opts);
        private static readonly Regex FullClone = new Regex(@"Full clone feature is not supported for (?<ofsnap>a snapshot of )?'(?<vol>[^']*)' \((?<drive>[^)]*)\)", Opts);
        private static readonly Regex NoSnapshotFeature = new Regex(@"snapshot feature is not available", Opts);
        private static readonly Regex BaseInUse = new Regex(@"base volume '(?<vol>[^']*)' is still in use by linked clone", Opts);
        private static readonly Regex SnippetMissing = new Regex(@"can't find file '(?<vol>[^']*)'", Opts);
        private static readonly Regex SnippetNotInDir = new Regex(@"(?<vol>\S+) is not in the snippets directory", Opts);
        private static readonly Regex AgentNotConfigured = new Regex(@"No QEMU guest agent configured", Opts);
        private static readonly Regex AgentNotRunning = new Regex(@"QEMU guest agent is not running", Opts);
        private static readonly Regex NotRunning = new Regex(@"VM (?<id>\d+) is not running", Opts);
        private static readonly Regex AlreadyRunning = new Regex(@"VM (?<id>\d+) already running", Opts);
        private static readonly Regex RunningDestroy = new Regex(@"VM (?<id>\d+) is running - destroy failed", Opts);
        private static readonly Regex RunningTpm = new Regex(@"cannot clone TPM state while VM is running", Opts);
        private static readonly Regex Protection = new Regex(@"can't remove VM (?<id>\d+) - protection mode enabled", Opts);
        private static readonly Regex ShutdownTimeout = new Regex(@"VM quit/powerdown failed - got timeout", Opts);
        private static readonly Regex AgentError = new Regex(@"Agent error: (?<desc>[^\n]*)", Opts);
        private static readonly Regex StorageMissing = new Regex(@"storage '(?<st>[^']*)' (?<what>does not exist|is disabled)", Opts);
        private static readonly Regex NoQuorum = new Regex(@"cluster not ready - no quorum\?", Opts);
        // pmxcfs turns /etc/pve read-only without quorum: a config write cannot create its temporary file, a removal fails.
        private static readonly Regex ClusterFsReadOnly = new Regex(
            @"unable to open file '/etc/pve/[^']*' - Permission denied|failed to remove config file: Permission denied", Opts);
        private static readonly Regex ParamHeader = new Regex(@"^400 Parameter verification failed\.", Opts | RegexOptions.Multiline);
        private static readonly Regex ParamLine = new Regex(@"^(?<p>[A-Za-z0-9_\-\[\]\.]+): (?<m>.*)$", Opts);
        private static readonly Regex NotAllowedLinked = new Regex(@"parameter '(?<p>[^']*)' not allowed for linked clones", Opts);
        private static readonly Regex BadCommandLine = new Regex(@"400 not enough arguments|400 too many arguments|400 unable to parse option|Unknown option: |ERROR: unknown command", Opts);

        private static readonly (Regex Pattern, string Summary, string Advice)[] TemplateRules =
        {
            (new Regex(@"you can't start a vm if it's a template", Opts),
                "{vm} is a template, and Proxmox does not start templates.",
                "Clone it and start the clone."),
            (new Regex(@"you can't take a snapshot if it's a template", Opts),
                "{vm} is a template, and Proxmox does not snapshot templates.",
                "Clones of a template are made from the template itself; take snapshots of a clone instead."),
            (new Regex(@"you can't rollback if vm is a template", Opts),
                "{vm} is a template, and a template cannot be rolled back.",
                "Roll back a clone instead, or rebuild the template."),
            (new Regex(@"you can't convert a template to a template", Opts),
                "{vm} is already a template.",
                "Nothing to convert; use it as it is."),
            (new Regex(@"unable to create template, because VM contains snapshots", Opts),
                "{vm} has snapshots, and Proxmox converts only VMs without snapshots into templates.",
                "Remove its snapshots first (`qm delsnapshot {id} <name>`), then convert it."),
            (new Regex(@"you can't convert a VM to template if VM is running", Opts),
                "{vm} is running, and only a stopped VM can become a template.",
                "Shut it down first (`qm shutdown {id}`), then convert it."),
        };

        /// <summary>
        /// Classifies a failed command. <paramref name="vmId"/> is the VM the caller meant; a VMID
        /// named in Proxmox's text (for example the new VMID of a clone) takes precedence.
        /// </summary>
        public static ProxmoxException Classify(CommandResult result, RemoteCommand? command = null, int? vmId = null)
        {
            if (result == null) throw new ArgumentNullException(nameof(result));
            var stdErr = Normalize(result.StdErr);
            var stdOut = Normalize(result.StdOut);
            var text = stdErr.Length > 0 ? stdErr + "\n" + stdOut : stdOut;
            var raw = Quote(stdErr.Length > 0 ? stdErr : LastLines(stdOut, 10));
            var display = command?.ToDisplayString();
            var parameters = ParseParameterErrors(text);

            ProxmoxException Make(ProxmoxErrorReason reason, PhoenixErrorKind kind, int? id, string summary, string advice,
                bool transient = false, string? lockName = null, string? snapshot = null, string? volume = null, string? storage = null)
            {
                var vm = id.HasValue ? "VM " + id.Value.ToString(CultureInfo.InvariantCulture) : "The VM";
                var idText = id.HasValue ? id.Value.ToString(CultureInfo.InvariantCulture) : "<vmid>";
                if (!id.HasValue && summary.StartsWith("{vm}: ", StringComparison.Ordinal))
                {
                    // Not about a VM (pvesm, pvesh): no "The VM:" prefix.
                    summary = summary.Substring("{vm}: ".Length);
                    summary = char.ToUpperInvariant(summary[0]) + summary.Substring(1);
                }
                summary = summary.Replace("{vm}", vm).Replace("{id}", idText);
                advice = advice.Replace("{vm}", vm).Replace("{id}", idText);
                var message = raw.Length > 0 ? $"{summary} {advice} Proxmox said: {raw}" : $"{summary} {advice}";
                return new ProxmoxException(reason, kind, message, id, raw, result.ExitCode, display)
                {
                    RecommendedAction = advice,
                    IsTransient = transient,
                    LockName = lockName,
                    SnapshotName = snapshot,
                    VolumeId = volume,
                    StorageId = storage,
                    Parameters = parameters,
                };
            }

            int? IdFrom(Match m)
            {
                var g = m.Groups["id"];
                return g.Success && int.TryParse(g.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : vmId;
            }

            Match match;
            if (result.ExitCode == 127 || CommandNotFound.IsMatch(stdErr))
            {
                var program = command?.Arguments[0] ?? "qm";
                return Make(ProxmoxErrorReason.NotAProxmoxHost, PhoenixErrorKind.NotInstalled, vmId,
                    $"'{program}' is not installed on the host: it is not a Proxmox VE node.",
                    "Connect to a Proxmox VE node (qm, pvesm and pvesh come with it).");
            }

            if (NoQuorum.IsMatch(text) || ClusterFsReadOnly.IsMatch(text))
                return Make(ProxmoxErrorReason.NoQuorum, PhoenixErrorKind.InvalidOperation, vmId,
                    NoQuorum.IsMatch(text)
                        ? "The cluster has no quorum (fewer than half of its nodes are up), so Proxmox refuses to create, clone, start or " +
                          "migrate any VM on any node."
                        : "The cluster filesystem (/etc/pve) refused to change a VM's config; it turns read-only when the cluster has no " +
                          "quorum (fewer than half of its nodes are up).",
                    "Start the nodes that are down (`pvecm status` shows the votes), then run the deployment again; nothing of it is lost.");

            if ((match = LockTimeout.Match(text)).Success)
            {
                var file = match.Groups["file"].Value;
                var lockMatch = LockFileVmId.Match(file);
                int? id = lockMatch.Success && int.TryParse(lockMatch.Groups["id"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var lid) ? lid : vmId;
                return Make(ProxmoxErrorReason.LockTimeout, PhoenixErrorKind.OperationTimeout, id,
                    $"{{vm}}: another command held the configuration lock ({file}) longer than Proxmox waits for it.",
                    "This clears when that command ends, and Phoenix waits and retries. If it does not clear, look on the host for a hung command on VM {id} (`ps -ef | grep 'qm.*{id}'`).",
                    transient: true);
            }

            if ((match = VmLocked.Match(text)).Success)
            {
                var lockName = match.Groups["lock"].Value;
                if (lockName == "suspended")
                    return Make(ProxmoxErrorReason.VmLocked, PhoenixErrorKind.InvalidOperation, vmId,
                        "{vm} is hibernated (lock 'suspended'), and waiting will not change that.",
                        "Resume it with `qm resume {id}` (or start it), then try again.",
                        lockName: lockName);
                return Make(ProxmoxErrorReason.VmLocked, PhoenixErrorKind.InvalidOperation, vmId,
                    $"{{vm}} is locked ({lockName}): a Proxmox task is working on it, or a task that ended abnormally left its lock behind.",
                    UnlockAdvice, transient: true, lockName: lockName);
            }

            if ((match = ConfigMissing.Match(text)).Success || (match = ConfigMissingCheckRunning.Match(text)).Success)
                return Make(ProxmoxErrorReason.VmNotFound, PhoenixErrorKind.NotFound, IdFrom(match),
                    $"{{vm}} does not exist on node '{match.Groups["node"].Value}'.",
                    "Check the VMID; `qm list` on the host shows the VMs of that node (a VM on another cluster node is managed there).");

            if ((match = ConfigExists.Match(text)).Success || (match = VmExists.Match(text)).Success)
                return Make(ProxmoxErrorReason.AlreadyExists, PhoenixErrorKind.AlreadyExists, IdFrom(match),
                    "VMID {id} is already taken by another VM or container.",
                    "Choose another VMID, or remove the existing guest if it really is to be replaced: Phoenix never overwrites one.");

            if ((match = SnapshotUsed.Match(text)).Success)
            {
                var snap = match.Groups["snap"].Value;
                return Make(ProxmoxErrorReason.SnapshotExists, PhoenixErrorKind.AlreadyExists, vmId,
                    $"{{vm}} already has a snapshot named '{snap}'.",
                    $"Use another name, or remove the old snapshot first (`qm delsnapshot {{id}} {snap}`).",
                    snapshot: snap);
            }

            if ((match = SnapshotMissing.Match(text)).Success)
            {
                var snap = match.Groups["snap"].Value;
                return Make(ProxmoxErrorReason.SnapshotNotFound, PhoenixErrorKind.NotFound, vmId,
                    $"{{vm}} has no snapshot named '{snap}'.",
                    "`qm listsnapshot {id}` shows the snapshots it has.",
                    snapshot: snap);
            }

            if ((match = SnapshotReserved.Match(text)).Success)
            {
                var snap = match.Groups["snap"].Value;
                return Make(ProxmoxErrorReason.InvalidSnapshotName, PhoenixErrorKind.InvalidArgument, vmId,
                    $"{{vm}}: '{snap}' is a name Proxmox reserves ('current' and 'pending', in any case).",
                    "Choose another snapshot name.", snapshot: snap);
            }

            if ((match = LinkedClone.Match(text)).Success)
            {
                var vol = match.Groups["vol"].Value;
                var ofSnapshot = match.Groups["ofsnap"].Success;
                var summary = ofSnapshot
                    ? $"{{vm}}: the storage of '{vol}' ({match.Groups["drive"].Value}) cannot make a linked clone of a snapshot. Linked clones are a storage feature; from a snapshot only LVM-thin and Ceph RBD make them."
                    : $"{{vm}}: '{vol}' ({match.Groups["drive"].Value}) cannot be cloned linked. Linked clones are a storage feature: they are made from a template's base volumes on LVM-thin, ZFS, Ceph RBD or directory-type storage (dir, NFS, CIFS), never from an ordinary VM's disks, and never on LVM (thick).";
                return Make(ProxmoxErrorReason.LinkedCloneNotSupported, PhoenixErrorKind.InvalidOperation, vmId, summary,
                    "Make a full clone instead, or convert the source into a template and clone that.",
                    volume: vol, storage: StorageOf(vol));
            }

            if ((match = FullClone.Match(text)).Success)
            {
                var vol = match.Groups["vol"].Value;
                var ofSnapshot = match.Groups["ofsnap"].Success;
                var summary = ofSnapshot
                    ? $"{{vm}}: the storage of '{vol}' ({match.Groups["drive"].Value}) cannot copy from a snapshot. Cloning from a snapshot is a storage feature: LVM-thin, Ceph RBD and qcow2 disks on directory-type storage (dir, NFS, CIFS) can; ZFS, LVM (thick) and raw disks on directory storage cannot."
                    : $"{{vm}}: the storage of '{vol}' ({match.Groups["drive"].Value}) cannot copy this volume, so no full clone can be made of it.";
                var advice = ofSnapshot
                    ? "Clone from the VM's current state instead (no snapshot), or move its disks to such a storage (`qm disk move`) before taking the snapshot."
                    : "Move the disk to another storage (`qm disk move`), or clone from another VM.";
                return Make(ProxmoxErrorReason.FullCloneNotSupported, PhoenixErrorKind.InvalidOperation, vmId, summary, advice,
                    volume: vol, storage: StorageOf(vol));
            }

            if (NoSnapshotFeature.IsMatch(text))
                return Make(ProxmoxErrorReason.SnapshotNotSupported, PhoenixErrorKind.InvalidOperation, vmId,
                    "{vm}: a disk's storage cannot take snapshots (for example raw disks on directory storage, or LVM thick). Snapshots are a storage feature.",
                    "Keep the disks on qcow2 directory-type storage, LVM-thin, ZFS or Ceph RBD (`qm disk move`), or do without the snapshot.");

            foreach (var rule in TemplateRules)
            {
                if (rule.Pattern.IsMatch(text))
                    return Make(ProxmoxErrorReason.TemplateOperation, PhoenixErrorKind.InvalidOperation, vmId, rule.Summary, rule.Advice);
            }

            if ((match = BaseInUse.Match(text)).Success)
            {
                var vol = match.Groups["vol"].Value;
                return Make(ProxmoxErrorReason.BaseVolumeInUse, PhoenixErrorKind.InvalidOperation, vmId,
                    $"Template {{id}} still has linked clones that use its base volume '{vol}'.",
                    "Remove those linked clones first (a full clone of each makes it independent); the template cannot go while they exist.",
                    volume: vol, storage: StorageOf(vol));
            }

            if ((match = SnippetMissing.Match(text)).Success || (match = SnippetNotInDir.Match(text)).Success)
            {
                var vol = match.Groups["vol"].Value;
                var what = match.Value.Contains("is not in the snippets directory")
                    ? $"{{vm}}: cloud-init snippet '{vol}' is not in a snippets directory (a cicustom volume must be <storage>:snippets/<file>)."
                    : $"{{vm}}: cloud-init snippet '{vol}' does not exist.";
                return Make(ProxmoxErrorReason.SnippetsNotFound, PhoenixErrorKind.NotFound, vmId, what,
                    $"Upload it into the storage's snippets directory (`pvesm path {vol}` prints where) and enable the 'snippets' content type on that storage.",
                    volume: vol, storage: StorageOf(vol));
            }

            if (AgentNotConfigured.IsMatch(text))
                return Make(ProxmoxErrorReason.AgentNotConfigured, PhoenixErrorKind.InvalidOperation, vmId,
                    "{vm} has no QEMU guest agent configured (no 'agent' option).",
                    "Enable it with `qm set {id} --agent 1` and restart the VM: a running VM picks the setting up only at its next start.");

            if (AgentNotRunning.IsMatch(text))
                return Make(ProxmoxErrorReason.AgentNotRunning, PhoenixErrorKind.InvalidOperation, vmId,
                    "The QEMU guest agent of {vm} does not answer.",
                    "The guest may still be booting. Otherwise check inside the guest that qemu-guest-agent is installed and running (`systemctl status qemu-guest-agent`); cloud images often lack it until cloud-init installs it.");

            if ((match = NotRunning.Match(text)).Success)
                return Make(ProxmoxErrorReason.NotRunning, PhoenixErrorKind.InvalidOperation, IdFrom(match),
                    "{vm} is not running.",
                    "Start it first (`qm start {id}`).");

            if ((match = AlreadyRunning.Match(text)).Success)
                return Make(ProxmoxErrorReason.AlreadyRunning, PhoenixErrorKind.InvalidOperation, IdFrom(match),
                    "{vm} is already running.",
                    "Nothing to start; stop it first if it is to be restarted.");

            if ((match = RunningDestroy.Match(text)).Success || (match = RunningTpm.Match(text)).Success)
                return Make(ProxmoxErrorReason.VmRunning, PhoenixErrorKind.InvalidOperation, IdFrom(match),
                    "{vm} is running, and this needs it stopped.",
                    "Shut it down first (`qm shutdown {id}`, or `qm stop {id}`).");

            if ((match = Protection.Match(text)).Success)
                return Make(ProxmoxErrorReason.ProtectionEnabled, PhoenixErrorKind.InvalidOperation, IdFrom(match),
                    "{vm} has protection enabled.",
                    "If it really is to be removed, turn protection off first (`qm set {id} --protection 0`).");

            if (ShutdownTimeout.IsMatch(text))
                return Make(ProxmoxErrorReason.ShutdownTimeout, PhoenixErrorKind.OperationTimeout, vmId,
                    "{vm} did not shut down in time.",
                    "Check that the guest reacts to ACPI power-off or has its guest agent running; or stop it by force (`qm shutdown {id} --forceStop 1`, or `qm stop {id}`).");

            if ((match = AgentError.Match(text)).Success)
                return Make(ProxmoxErrorReason.GuestAgentError, PhoenixErrorKind.RemoteCommandFailed, vmId,
                    $"The guest agent of {{vm}} reported an error: {match.Groups["desc"].Value.Trim()}",
                    "Check that the program exists in the guest and may run there.");

            if ((match = StorageMissing.Match(text)).Success)
            {
                var storage = match.Groups["st"].Value;
                return Make(ProxmoxErrorReason.StorageNotFound, PhoenixErrorKind.NotFound, vmId,
                    $"{{vm}}: storage '{storage}' {match.Groups["what"].Value}.",
                    "`pvesm status` on the host lists the storages of the node and whether they are enabled.",
                    storage: storage);
            }

            if (parameters.Count > 0 || ParamHeader.IsMatch(text))
            {
                var list = parameters.Count > 0 ? string.Join("; ", parameters.Select(p => $"{p.Key}: {p.Value}")) : "(no parameter named)";
                return Make(ProxmoxErrorReason.ParameterVerificationFailed, PhoenixErrorKind.InvalidArgument, vmId,
                    $"{{vm}}: Proxmox refused the parameters: {list}.",
                    "Correct the values named.");
            }

            if ((match = NotAllowedLinked.Match(text)).Success)
            {
                var p = match.Groups["p"].Value;
                return Make(ProxmoxErrorReason.ParameterVerificationFailed, PhoenixErrorKind.InvalidArgument, vmId,
                    $"{{vm}}: '{p}' applies only to full clones, and this clone would be linked.",
                    $"Ask for a full clone, or leave out '{p}'.");
            }

            if (BadCommandLine.IsMatch(text))
                return Make(ProxmoxErrorReason.InvalidCommandLine, PhoenixErrorKind.InvalidArgument, vmId,
                    $"Proxmox did not understand the command line `{display ?? "?"}`.",
                    "This is a Phoenix defect or a Proxmox VE version Phoenix does not know; report it with the output of `pveversion`.");

            return Make(ProxmoxErrorReason.RemoteCommandFailed, PhoenixErrorKind.RemoteCommandFailed, vmId,
                vmId.HasValue
                    ? $"`{display ?? "command"}` failed for {{vm}} (exit code {result.ExitCode})."
                    : $"`{display ?? "command"}` failed (exit code {result.ExitCode}).",
                "See Proxmox's message below for the cause.");
        }

        /// <summary>
        /// Reads the parameter/message pairs of a <c>400 Parameter verification failed.</c> block, in
        /// order, up to the usage line. Empty when the text has no such block.
        /// </summary>
        public static IReadOnlyList<KeyValuePair<string, string>> ParseParameterErrors(string text)
        {
            var pairs = new List<KeyValuePair<string, string>>();
            if (string.IsNullOrEmpty(text)) return pairs;
            var lines = Normalize(text).Split('\n');
            var start = Array.FindIndex(lines, l => l.StartsWith("400 Parameter verification failed.", StringComparison.Ordinal));
            if (start < 0) return pairs;
            for (var i = start + 1; i < lines.Length; i++)
            {
                var line = lines[i].TrimEnd();
                if (line.Length == 0) continue;
                // The short usage line ends the block: "qm clone <vmid> <newid> [OPTIONS]".
                if (line.StartsWith("qm ", StringComparison.Ordinal) || line.StartsWith("pvesm ", StringComparison.Ordinal) ||
                    line.StartsWith("pvesh ", StringComparison.Ordinal) || line.StartsWith("USAGE:", StringComparison.Ordinal))
                    break;
                var m = ParamLine.Match(line);
                if (m.Success) pairs.Add(new KeyValuePair<string, string>(m.Groups["p"].Value, m.Groups["m"].Value.Trim()));
                else if (pairs.Count > 0)
                {
                    // A message that runs over more than one line.
                    var last = pairs[pairs.Count - 1];
                    pairs[pairs.Count - 1] = new KeyValuePair<string, string>(last.Key, last.Value + " " + line.Trim());
                }
            }
            return pairs;
        }

        /// <summary>
        /// The error after lock waits ran out: the last lock error, restated with how long Phoenix
        /// waited and the advice to check for running tasks before a manual <c>qm unlock</c>.
        /// </summary>
        public static ProxmoxException LockWaitExceeded(ProxmoxException last, TimeSpan waited)
        {
            if (last == null) throw new ArgumentNullException(nameof(last));
            var vm = last.VmId.HasValue ? "VM " + last.VmId.Value.ToString(CultureInfo.InvariantCulture) : "The VM";
            var idText = last.VmId.HasValue ? last.VmId.Value.ToString(CultureInfo.InvariantCulture) : "<vmid>";
            var advice = UnlockAdvice.Replace("{id}", idText);
            var wait = FormatDuration(waited);
            string summary;
            PhoenixErrorKind kind;
            ProxmoxErrorReason reason;
            if (last.ProxmoxReason == ProxmoxErrorReason.LockTimeout)
            {
                summary = $"{vm}: its configuration file stayed locked by another command for {wait}.";
                advice = $"Look on the host for a hung command on VM {idText} (`ps -ef | grep 'qm.*{idText}'`), end it, and try again.";
                kind = PhoenixErrorKind.OperationTimeout;
                reason = ProxmoxErrorReason.LockTimeout;
            }
            else
            {
                summary = $"{vm} is still locked ({last.LockName}) after Phoenix waited {wait}: a long task is running, or a task that ended abnormally left the lock behind.";
                kind = PhoenixErrorKind.InvalidOperation;
                reason = ProxmoxErrorReason.VmLocked;
            }
            var message = last.ProxmoxMessage.Length > 0 ? $"{summary} {advice} Proxmox said: {last.ProxmoxMessage}" : $"{summary} {advice}";
            return new ProxmoxException(reason, kind, message, last.VmId, last.ProxmoxMessage, last.ExitCode, last.Command, last)
            {
                RecommendedAction = advice,
                IsTransient = false,
                LockName = last.LockName,
                Waited = waited,
            };
        }

        /// <summary>A command that did not answer within the time Phoenix gave it.</summary>
        public static ProxmoxException Timeout(RemoteCommand command, int? vmId, TimeSpan? timeout, Exception? inner = null)
        {
            var vm = vmId.HasValue ? " for VM " + vmId.Value.ToString(CultureInfo.InvariantCulture) : "";
            var limit = timeout.HasValue ? " within " + FormatDuration(timeout.Value) : "";
            return new ProxmoxException(ProxmoxErrorReason.CommandTimeout, PhoenixErrorKind.OperationTimeout,
                $"`{command.ToDisplayString()}`{vm} did not finish{limit}. The command may still be running on the host; check before trying again.",
                vmId, "", -1, command.ToDisplayString(), inner)
            {
                RecommendedAction = "Check on the host whether the command is still running, then try again with a longer limit.",
            };
        }

        /// <summary>Output that does not have the shape Proxmox prints.</summary>
        public static ProxmoxException UnexpectedOutput(string what, string output, int? vmId = null, string? command = null, Exception? inner = null)
        {
            var vm = vmId.HasValue ? $"VM {vmId.Value.ToString(CultureInfo.InvariantCulture)}: " : "";
            var quoted = Quote(Normalize(output ?? ""));
            var cmd = command != null ? $" from `{command}`" : "";
            return new ProxmoxException(ProxmoxErrorReason.UnexpectedOutput, PhoenixErrorKind.InvalidData,
                $"{vm}cannot read {what}{cmd}: the output does not look like Proxmox VE's. Output: {(quoted.Length > 0 ? quoted : "(empty)")}",
                vmId, quoted, 0, command, inner)
            {
                RecommendedAction = "Check that the host runs a Proxmox VE version Phoenix supports (`pveversion`), and report the output.",
            };
        }

        internal const string UnlockAdvice =
            "Phoenix waits for locks to clear but never removes one itself. Check that no task is running for VM {id} (the node's Tasks view, or `ps -ef | grep 'qm.*{id}'` on the host); only then run `qm unlock {id}` on the host and try again.";

        internal static string FormatDuration(TimeSpan span)
        {
            if (span.TotalSeconds < 60) return span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";
            var minutes = (int)span.TotalMinutes;
            var seconds = span.Seconds;
            return seconds == 0 ? $"{minutes} min" : $"{minutes} min {seconds} s";
        }

        private static string? StorageOf(string volumeId)
        {
            var colon = volumeId.IndexOf(':');
            return colon > 0 ? volumeId.Substring(0, colon) : null;
        }

        private static string Normalize(string? text) => (text ?? "").Replace("\r\n", "\n").Trim();

        private static string LastLines(string text, int count)
        {
            var lines = text.Split('\n');
            return string.Join("\n", lines.Skip(Math.Max(0, lines.Length - count)));
        }

        private static string Quote(string text) =>
            text.Length <= MaxQuotedLength ? text : text.Substring(0, MaxQuotedLength) + " ...";
    }
}
