using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Text;
using Phoenix.Engine.Transport;
using Phoenix.Engine.Workflow;

namespace Phoenix.Engine.CloudInit
{
    /// <summary>How <see cref="CloudInitApplier.ApplyAsync"/> applies a VM's cloud-init.</summary>
    public sealed class CloudInitApplyOptions
    {
        /// <summary>The storage Phoenix puts snippets on unless told otherwise.</summary>
        public const string DefaultStorage = ProxmoxNames.LocalStorage;

        /// <summary>The Proxmox storage whose <c>snippets</c> directory receives the files (a storage with the snippets content type).</summary>
        public string Storage { get; set; } = DefaultStorage;

        /// <summary>The templates to render with; null for Phoenix's defaults.</summary>
        public CloudInitTemplateSet? TemplateSet { get; set; }

        /// <summary>Upload, set and regenerate even when everything is already as wanted.</summary>
        public bool Force { get; set; }
    }

    /// <summary>
    /// What <see cref="CloudInitApplier.ApplyAsync"/> did (or, on a dry run, would do) for one VM. Carries names,
    /// paths and hashes, never the rendered text (which can hold the password hash): the document stays internal.
    /// </summary>
    public sealed class CloudInitApplyResult
    {
        internal CloudInitApplyResult(CloudInitDocument document, string storage)
        {
            Document = document;
            Storage = storage;
        }

        /// <summary>The VM.</summary>
        public int VmId => Document.VmId;

        /// <summary>The storage the snippets are on.</summary>
        public string Storage { get; }

        /// <summary>The rendered files: internal, so no result object carries the user-data's secrets.</summary>
        internal CloudInitDocument Document { get; }

        /// <summary>Full host path of the user-data snippet (from <c>pvesm path</c>).</summary>
        public string UserDataFile { get; internal set; } = "";

        /// <summary>Full host path of the network-config snippet.</summary>
        public string NetworkConfigFile { get; internal set; } = "";

        /// <summary>The combined SHA-256 of both files (<see cref="CloudInitDocument.Hash"/>).</summary>
        public string Hash => Document.Hash;

        /// <summary>SHA-256 of the user-data file: what <c>sha256sum</c> prints for the uploaded snippet.</summary>
        public string UserDataHash => Document.UserDataHash;

        /// <summary>SHA-256 of the network-config file.</summary>
        public string NetworkConfigHash => Document.NetworkConfigHash;

        /// <summary>
        /// The instance-id Proxmox gives cloud-init for these files when the VM has no custom <c>meta</c> snippet:
        /// the SHA-1 of user-data followed by network-config. It changes whenever a snippet changes.
        /// </summary>
        public string InstanceId { get; internal set; } = "";

        /// <summary>The <c>--cicustom</c> value the VM has after the run.</summary>
        public string Cicustom { get; internal set; } = "";

        /// <summary>The host paths that were uploaded (empty when both snippets were already there with this content).</summary>
        public IReadOnlyList<string> Uploaded { get; internal set; } = Array.Empty<string>();

        /// <summary>True when <c>qm set --cicustom</c> ran (the VM pointed elsewhere, or nowhere).</summary>
        public bool CicustomSet { get; internal set; }

        /// <summary>The drive that was added because the VM had no cloud-init drive (<c>ide2</c>), or null.</summary>
        public string? DriveAdded { get; internal set; }

        /// <summary>True when <c>qm cloudinit update</c> ran to regenerate the cloud-init drive.</summary>
        public bool Regenerated { get; internal set; }

        /// <summary>
        /// True when the content cloud-init will read changed, so its instance-id changed and cloud-init runs its
        /// first-boot steps (users, keys, packages, runcmd) again at the VM's next start.
        /// </summary>
        public bool InstanceIdChanged { get; internal set; }

        /// <summary>True when this is a -WhatIf answer: changes were recorded, not made.</summary>
        public bool IsPlanned { get; internal set; }

        /// <summary>False only on a dry run for a VM that does not exist yet (a deploy plans its clone first).</summary>
        public bool VmExists { get; internal set; } = true;

        /// <summary>What changed, one line each; empty when the VM already had exactly this cloud-init.</summary>
        public IReadOnlyList<string> Changes { get; internal set; } = Array.Empty<string>();

        /// <summary>True when anything changed.</summary>
        public bool Changed => Changes.Count > 0;

        /// <summary>Things worth knowing (for Verbose).</summary>
        public IReadOnlyList<string> Notes { get; internal set; } = Array.Empty<string>();

        /// <summary>Things the user must see (for Warning).</summary>
        public IReadOnlyList<string> Warnings { get; internal set; } = Array.Empty<string>();

        /// <summary>The result as a step of <see cref="Deployer"/>.</summary>
        public StepOutcome ToStepOutcome() => new StepOutcome(Changes, Notes, Warnings);

        /// <summary><c>cloud-init of VM 101: changed (2 uploaded, cicustom set, regenerated)</c>.</summary>
        public override string ToString()
        {
            var head = "cloud-init of VM " + VmId.ToString(CultureInfo.InvariantCulture) + ": ";
            if (!Changed) return head + "unchanged (sha256 " + Hash.Substring(0, 12) + ")";
            var parts = new List<string>();
            if (Uploaded.Count > 0) parts.Add(Uploaded.Count.ToString(CultureInfo.InvariantCulture) + " uploaded");
            if (CicustomSet) parts.Add("cicustom set");
            if (DriveAdded != null) parts.Add("drive " + DriveAdded + " added");
            if (Regenerated) parts.Add("regenerated");
            return head + (IsPlanned ? "would change" : "changed") + " (" + string.Join(", ", parts) + ")";
        }
    }

    /// <summary>
    /// Puts a VM's rendered cloud-init on its Proxmox node: the snippets into a storage's snippets directory,
    /// <c>cicustom</c> pointing at them, a cloud-init drive, and a regenerated drive when anything changed.
    /// Idempotent: what is already as wanted (compared by SHA-256 of the files on the host) is left alone.
    /// </summary>
    /// <remarks>
    /// The order matters: the VM is checked before anything is written, the files are written before
    /// <c>cicustom</c> points at them, and the drive is regenerated last, so a failure half-way leaves the VM
    /// either as it was or pointing at complete files. Over a <see cref="PlanRecorder"/> (-WhatIf) the reads
    /// run for real and the writes are only recorded.
    /// </remarks>
    public static class CloudInitApplier
    {
        /// <summary>The mode of uploaded snippets (0600): user-data can carry a password hash.</summary>
        public const int SnippetMode = 0x180;

        private const string StorageConfigPath = "/etc/pve/storage.cfg";

        // The storage types whose plugins have a snippets directory (Proxmox's directory-based plugins).
        private static readonly string[] FileStorageTypes = { "dir", "nfs", "cifs", "glusterfs", "cephfs", "btrfs" };

        // Proxmox looks for a free IDE slot for the cloud-init drive in this order in its own tools; ide2 is the convention.
        private static readonly string[] DriveSlots = { "ide2", "ide0", "ide1", "ide3", "sata0", "sata1", "sata2", "sata3", "sata4", "sata5" };

        /// <summary>
        /// Renders <paramref name="spec"/>'s cloud-init and applies it to the VM on <paramref name="host"/>.
        /// </summary>
        /// <exception cref="PhoenixException">
        /// <c>SnippetsNotEnabled</c> for a storage without the snippets content type (the message gives the
        /// <c>pvesm set</c> command that enables it); <c>StorageNotFound</c>; <c>VmNotFound</c>; the renderer's
        /// errors (<c>InvalidCloudInitValue</c>, ...); and Proxmox's own, classified.
        /// </exception>
        public static Task<CloudInitApplyResult> ApplyAsync(ProxmoxHost host, VmSpec spec, CloudInitApplyOptions? options = null,
            CancellationToken cancellationToken = default) =>
            ApplyInRunAsync(host, spec, options, null, cancellationToken);

        /// <summary>
        /// <see cref="ApplyAsync(ProxmoxHost, VmSpec, CloudInitApplyOptions?, CancellationToken)"/> inside a deploy run: the config
        /// the run already read is used instead of a second <c>qm config</c>, the snippet storage and its folder are asked
        /// once per run, and a VM the deploy starts next gets no <c>qm cloudinit update</c> (its start regenerates the drive).
        /// </summary>
        public static async Task<CloudInitApplyResult> ApplyInRunAsync(ProxmoxHost host, VmSpec spec, CloudInitApplyOptions? options,
            DeployStepContext? context, CancellationToken cancellationToken = default)
        {
            if (host == null) throw new ArgumentNullException(nameof(host));
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            options ??= new CloudInitApplyOptions();
            var storage = options.Storage;
            var vmId = spec.VmId;
            var label = VmLabel.Of(spec);
            if (string.IsNullOrEmpty(storage) || !ProxmoxNames.IsValidStorageId(storage))
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidStorage,
                    $"{label}: '{storage}' is not a Proxmox storage ID.", vmId)
                { RecommendedAction = "Give a storage that `pvesm status --content snippets` lists, such as local." };

            var document = new CloudInitRenderer(options.TemplateSet ?? CloudInitTemplateSet.Default).Render(spec);
            var result = new CloudInitApplyResult(document, storage) { IsPlanned = host.IsDryRun };
            var changes = new List<string>();
            var notes = new List<string>();
            var warnings = new List<string>();

            await EnsureSnippetsStorageAsync(host, storage, label, vmId, context?.Run, cancellationToken).ConfigureAwait(false);

            // The VM must exist before anything is written for it. A dry run inside a deploy may plan a clone first:
            // then the VM is not there yet, and the plan assumes a VM with no cloud-init settings.
            VmConfig? config;
            try
            {
                config = context?.Config ?? await host.GetVmConfigAsync(vmId, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.VmNotFound && host.IsDryRun)
            {
                config = null;
                result.VmExists = false;
                notes.Add($"{label} does not exist yet; the plan assumes it has no cloud-init settings.");
            }

            string userPath, networkPath;
            if (context != null)
            {
                // One `pvesm path` per storage and run: a directory storage keeps every snippet in one folder.
                var folder = await context.Run.SnippetFolderAsync(storage, () => SnippetFolderAsync(host, storage, vmId, cancellationToken))
                    .ConfigureAwait(false);
                userPath = folder + document.UserDataFileName;
                networkPath = folder + document.NetworkConfigFileName;
            }
            else
            {
                userPath = await host.StoragePathAsync(storage + ":snippets/" + document.UserDataFileName, cancellationToken).ConfigureAwait(false);
                networkPath = await host.StoragePathAsync(storage + ":snippets/" + document.NetworkConfigFileName, cancellationToken).ConfigureAwait(false);
            }
            result.UserDataFile = userPath;
            result.NetworkConfigFile = networkPath;

            // The marker records that the drive was regenerated from exactly these snippets. Without it a run
            // cut off between upload and `qm cloudinit update` would look finished to the next one.
            var marker = MarkerPath(userPath, vmId);
            // The marker and both snippets in one read (one SSH channel, not three queued behind the run's other commands).
            var found = await HostFileBatch.TryReadAllAsync(host.Connection, new[] { marker, userPath, networkPath }, cancellationToken)
                .ConfigureAwait(false);
            var markerBytes = found[0];

            var uploaded = new List<string>();
            var replaced = false;
            var contentChanged = false;
            foreach (var (name, path, text, hash, existing) in new[]
            {
                (document.UserDataFileName, userPath, document.UserData, document.UserDataHash, found[1]),
                (document.NetworkConfigFileName, networkPath, document.NetworkConfig, document.NetworkConfigHash, found[2]),
            })
            {
                var same = existing != null && Hex.Sha256(existing) == hash;
                if (same && !options.Force) continue;
                if (existing != null && !same) replaced = true;
                if (!same) contentChanged = true;
                var bytes = new UTF8Encoding(false).GetBytes(text);
                await host.Connection.UploadAsync(path, bytes, SnippetMode, cancellationToken).ConfigureAwait(false);
                uploaded.Add(path);
                changes.Add($"uploaded {name} (sha256 {hash.Substring(0, 12)}, {bytes.Length.ToString(CultureInfo.InvariantCulture)} bytes) to {path}" +
                    (existing == null ? "" : same ? " (unchanged, forced)" : " (replacing different content)"));
            }
            result.Uploaded = uploaded;

            // cicustom: user and network are Phoenix's; a meta or vendor snippet the admin set is kept.
            var current = config?["cicustom"];
            var currentParts = current == null ? new Dictionary<string, string>() : PropertyString.Parse(current).ToDictionary();
            var wanted = new List<KeyValuePair<string, string>>
            {
                new KeyValuePair<string, string>("user", storage + ":snippets/" + document.UserDataFileName),
                new KeyValuePair<string, string>("network", storage + ":snippets/" + document.NetworkConfigFileName),
            };
            foreach (var keep in new[] { "meta", "vendor" })
                if (currentParts.TryGetValue(keep, out var v)) wanted.Add(new KeyValuePair<string, string>(keep, v));
            var cicustom = string.Join(",", wanted.Select(kv => kv.Key + "=" + kv.Value));
            result.Cicustom = cicustom;
            var cicustomSame = currentParts.Count == wanted.Count && wanted.All(kv => currentParts.TryGetValue(kv.Key, out var have) && have == kv.Value);
            // The options the deploy's configure step left for this call go in the same qm set (the configure step reported them).
            var pending = context?.PendingOptions ?? Array.Empty<KeyValuePair<string, string>>();
            if (!cicustomSame || options.Force)
            {
                await host.SetAsync(vmId, pending.Concat(new[] { new KeyValuePair<string, string>("cicustom", cicustom) }), cancellationToken)
                    .ConfigureAwait(false);
                result.CicustomSet = true;
                changes.Add("set cicustom " + cicustom + (current != null && !cicustomSame ? " (was " + current + ")" : ""));
            }
            else if (pending.Count > 0)
                await host.SetAsync(vmId, pending, cancellationToken).ConfigureAwait(false);
            var customMeta = currentParts.ContainsKey("meta");

            if (config != null && config.CloudInitDrive == null)
            {
                var slot = DriveSlots.FirstOrDefault(s => !config.ContainsKey(s));
                var driveStorage = VmProvisioner.BootDisk(config)?.StorageId ?? spec.StoragePool;
                if (slot == null || driveStorage == null)
                    throw new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.NoCloudInitDrive,
                        $"{label} has no cloud-init drive, and Phoenix cannot add one: " +
                        (slot == null ? "every IDE and SATA slot is taken." : "the VM has no disk whose storage it could use, and the spec names " +
                            "no storage_pool."),
                        vmId)
                    { RecommendedAction = $"Add one on the host: qm set {vmId.ToString(CultureInfo.InvariantCulture)} --ide2 <storage>:cloudinit" };
                await host.SetAsync(vmId, new[] { new KeyValuePair<string, string>(slot, driveStorage +
                    ":cloudinit") }, cancellationToken).ConfigureAwait(false);
                result.DriveAdded = slot;
                changes.Add($"added cloud-init drive {slot} on {driveStorage}");
            }

            var applied = document.Hash + " " + cicustom + "\n";
            var markerCurrent = markerBytes != null && Encoding.UTF8.GetString(markerBytes) == applied;
            if (changes.Count == 0 && !markerCurrent && config != null)
                changes.Add("the cloud-init drive was not regenerated from these snippets yet (an earlier run stopped before it)");
            if (changes.Count > 0 && context?.StartsAfter == true && config != null)
            {
                // qm start regenerates the drive of a VM it starts, from the snippets as they are then.
                notes.Add($"{label}: the cloud-init drive is regenerated by the VM's start, which comes next.");
            }
            else if (changes.Count > 0)
            {
                await host.CloudInitUpdateAsync(vmId, cancellationToken).ConfigureAwait(false);
                result.Regenerated = true;
                changes.Add("regenerated the cloud-init drive (qm cloudinit update)");
            }
            if (!markerCurrent && config != null)
                await host.Connection.UploadAsync(marker, Encoding.UTF8.GetBytes(applied), SnippetMode, cancellationToken).ConfigureAwait(false);

            result.InstanceId = Hex.Sha1(Encoding.UTF8.GetBytes(document.UserData + document.NetworkConfig));
            if ((contentChanged || !cicustomSame) && !customMeta)
            {
                result.InstanceIdChanged = true;
                var text = $"{label}: the cloud-init content changed, so its instance-id is now {result.InstanceId}: cloud-init runs its first-boot steps " +
                    "(users, SSH keys, packages, runcmd) again at the VM's next start.";
                // Only a VM whose own snippets had other content has (most likely) booted with Phoenix's cloud-init already;
                // a fresh clone inherits its source's cicustom, and re-running first boot there is what is wanted.
                if (replaced) warnings.Add(text); else notes.Add(text);
            }
            if (changes.Count == 0)
                notes.Add($"{label}: cloud-init is up to date ({document.UserDataFileName}, {document.NetworkConfigFileName}, " +
                    $"sha256 {document.Hash.Substring(0, 12)}).");

            result.Changes = changes;
            result.Notes = notes;
            result.Warnings = warnings;
            return result;
        }

        /// <summary>
        /// For <see cref="DeployOptions.CloudInitRunStart"/>: begins what <see cref="AsDeployRunStep"/> with the same options reads
        /// once per run (<c>pvesm status --content snippets</c>, then, once it shows the storage holding snippets, the
        /// <c>pvesm path</c> of its folder, asked with the file name of the VM it is begun for), so that the reads run
        /// beside the run's listing and clones; the step awaits them where it needs them, and a failed one fails the VM that
        /// awaits it as the step's own read would.
        /// </summary>
        public static Action<ProxmoxHost, VmSpec, DeployRun, CancellationToken> AsDeployRunStart(CloudInitApplyOptions? options = null) =>
            (host, spec, run, ct) =>
            {
                var storage = (options ?? new CloudInitApplyOptions()).Storage;
                // An invalid storage ID is the step's error, before any read.
                if (string.IsNullOrEmpty(storage) || !ProxmoxNames.IsValidStorageId(storage)) return;
                // The folder is asked only where the step would ask it: after an answer that has the storage holding snippets.
                run.BeginSnippetStorages(SnippetStoragesKey, () => host.ExecuteAsync(SnippetStoragesCommand(), null, ct)).ContinueWith(t =>
                {
                    try
                    {
                        if (t.Status == TaskStatus.RanToCompletion &&
                            ProxmoxParsers.ParsePvesmStatus(t.Result.StdOut).FirstOrDefault(s => s.Name == storage)?.IsEnabled == true)
                            run.BeginSnippetFolder(storage, () => SnippetFolderAsync(host, storage, spec.VmId, ct));
                    }
                    catch (PhoenixException)
                    {
                        // An answer Phoenix cannot read: the cloud-init step parses the same answer and reports it, naming its VM.
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            };

        private const string SnippetStoragesKey = "snippets";

        private static RemoteCommand SnippetStoragesCommand() =>
            CommandIntent.MarkReadOnly(new RemoteCommand(QmCommand.Pvesm, "status").AddOption("--content", "snippets"));

        // The host folder of the storage's snippets (with its trailing slash), from the `pvesm path` of VM vmId's user-data.
        private static async Task<string> SnippetFolderAsync(ProxmoxHost host, string storage, int vmId, CancellationToken ct)
        {
            var file = CloudInitDocument.UserDataFileNameFor(vmId);
            var one = await host.StoragePathAsync(storage + ":snippets/" + file, ct).ConfigureAwait(false);
            return one.Substring(0, one.Length - file.Length);
        }

        /// <summary>The cloud-init step for <see cref="DeployOptions.CloudInit"/>.</summary>
        public static Func<ProxmoxHost, VmSpec, CancellationToken, Task<StepOutcome>> AsDeployStep(CloudInitApplyOptions? options = null) =>
            async (host, spec, ct) => (await ApplyAsync(host, spec, options, ct).ConfigureAwait(false)).ToStepOutcome();

        /// <summary>The cloud-init step for <see cref="DeployOptions.CloudInitInRun"/>: what the run already knows is not read again.</summary>
        public static Func<ProxmoxHost, VmSpec, DeployStepContext, CancellationToken, Task<StepOutcome>> AsDeployRunStep(CloudInitApplyOptions? options = null) =>
            async (host, spec, context, ct) => (await ApplyInRunAsync(host, spec, options, context, ct).ConfigureAwait(false)).ToStepOutcome();

        /// <summary>
        /// The marker beside VM <paramref name="vmId"/>'s snippets (<paramref name="snippetPath"/> is one of them) that
        /// records the regenerate of its cloud-init drive: <c>.phoenix-cloudinit-101</c>.
        /// </summary>
        internal static string MarkerPath(string snippetPath, int vmId) =>
            snippetPath.Substring(0, snippetPath.LastIndexOf('/') + 1) + ".phoenix-cloudinit-" + vmId.ToString(CultureInfo.InvariantCulture);

        /// <summary>
        /// Checks that <paramref name="storage"/> exists and holds snippets. <c>pvesm status</c> shows no content
        /// types, but its <c>--content</c> filter lists exactly the storages that hold that type.
        /// </summary>
        private static async Task EnsureSnippetsStorageAsync(ProxmoxHost host, string storage, string label, int vmId, DeployRun? run, CancellationToken ct)
        {
            var command = SnippetStoragesCommand();
            var output = run != null
                ? await run.SnippetStoragesAsync(SnippetStoragesKey, () => host.ExecuteAsync(command, null, ct)).ConfigureAwait(false)
                : await host.ExecuteAsync(command, null, ct).ConfigureAwait(false);
            var withSnippets = ProxmoxParsers.ParsePvesmStatus(output.StdOut);
            var mine = withSnippets.FirstOrDefault(s => s.Name == storage);
            if (mine != null)
            {
                if (!mine.IsEnabled)
                    throw new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.StorageDisabled,
                        $"{label}: storage '{storage}' holds snippets but is disabled, so Proxmox cannot read the cloud-init files from it.", storage)
                    { RecommendedAction = $"Enable it on the host: pvesm set {storage} --disable 0" };
                return;
            }

            StorageStatus? status;
            try
            {
                status = (await host.StorageStatusAsync(storage, ct).ConfigureAwait(false)).FirstOrDefault(s => s.Name == storage);
            }
            catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.StorageNotFound)
            {
                var others = withSnippets.Where(s => s.IsEnabled).Select(s => s.Name).ToList();
                throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.StorageNotFound,
                    $"{label}: storage '{storage}' does not exist on this node, so the cloud-init snippets cannot go there." +
                    (others.Count > 0 ? " Storages that hold snippets: " + string.Join(", ", others) + "." : " No storage of this node holds snippets."),
                    storage, e)
                { RecommendedAction = others.Count > 0 ? $"Use -Storage {others[0]}." : "Enable snippets on a directory storage: pvesm set local " +
                    "--content <its content>,snippets" };
            }

            if (status != null && !FileStorageTypes.Contains(status.Type))
            {
                var dirs = withSnippets.Where(s => s.IsEnabled).Select(s => s.Name).ToList();
                throw new PhoenixException(PhoenixErrorKind.NotInstalled, ErrorIds.SnippetsNotEnabled,
                    $"{label}: storage '{storage}' is of type {status.Type}, which cannot hold snippets (only file-based storages such as dir or nfs can), " +
                    "so Phoenix cannot put the cloud-init files there. " +
                    (dirs.Count > 0 ? "Storages that hold snippets: " + string.Join(", ", dirs) +
                        "." : "Enable snippets on a directory storage: pvesm set local --content <its content>,snippets"),
                    storage)
                { RecommendedAction = dirs.Count > 0 ? $"Use -Storage {dirs[0]}." : "pvesm set local --content <its content>,snippets" };
            }

            var content = await TryReadContentAsync(host.Connection, storage, ct).ConfigureAwait(false);
            var enable = content == null
                ? $"pvesm set {storage} --content <its current content>,snippets"
                : $"pvesm set {storage} --content {(content.Count > 0 ? string.Join(",", content) + "," : "")}snippets";
            throw new PhoenixException(PhoenixErrorKind.NotInstalled, ErrorIds.SnippetsNotEnabled,
                $"{label}: storage '{storage}' does not hold snippets" + (content != null ? $" (its content " +
                    $"is {(content.Count > 0 ? string.Join(",", content) : "empty")})" : "") +
                ", so Phoenix cannot put the cloud-init files there. Enable snippets on it with: " + enable +
                ", or choose a storage that has them with -Storage.",
                storage)
            { RecommendedAction = enable };
        }

        /// <summary>The content types of a storage as <c>/etc/pve/storage.cfg</c> lists them; null when the file cannot be read.</summary>
        private static async Task<IReadOnlyList<string>?> TryReadContentAsync(IHostConnection connection, string storage, CancellationToken ct)
        {
            byte[]? raw;
            try
            {
                raw = await connection.DownloadAsync(StorageConfigPath, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is FileNotFoundException || e is IOException || e is UnauthorizedAccessException || e is PhoenixException)
            {
                return null;
            }
            return ParseStorageContent(Encoding.UTF8.GetString(raw), storage);
        }

        /// <summary>
        /// Reads the <c>content</c> line of <paramref name="storage"/>'s section in storage.cfg text (sections start with
        /// <c>type: id</c> at the line start; properties are indented). Null when the storage has no section.
        /// </summary>
        internal static IReadOnlyList<string>? ParseStorageContent(string storageCfg, string storage)
        {
            var inSection = false;
            var found = false;
            foreach (var raw in storageCfg.Replace("\r\n", "\n").Split('\n'))
            {
                if (raw.Length == 0 || raw.TrimStart().StartsWith("#", StringComparison.Ordinal)) continue;
                if (!char.IsWhiteSpace(raw[0]))
                {
                    var colon = raw.IndexOf(':');
                    inSection = colon > 0 && raw.Substring(colon + 1).Trim() == storage;
                    found |= inSection;
                    continue;
                }
                if (!inSection) continue;
                var line = raw.Trim();
                if (line.StartsWith("content", StringComparison.Ordinal) && (line.Length == 7 || char.IsWhiteSpace(line[7])))
                    return line.Substring(7).Split(new[] { ',', ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            }
            return found ? Array.Empty<string>() : null;
        }
    }
}
