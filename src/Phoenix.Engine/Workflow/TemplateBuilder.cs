using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Workflow
{
    /// <summary>What a base template is made of.</summary>
    public sealed class TemplateRequest
    {
        public int VmId { get; set; }
        public string Name { get; set; } = "";
        /// <summary>The cloud image: an absolute path on the host, or a file name in <see cref="ImageStorage"/>'s iso folder.</summary>
        public string Image { get; set; } = "";
        /// <summary>The storage whose iso folder holds images given by name (Proxmox: template/iso). Default: local.</summary>
        public string ImageStorage { get; set; } = ProxmoxNames.LocalStorage;
        /// <summary>The storage for the template's disk and cloud-init drive. Default: local-lvm.</summary>
        public string Storage { get; set; } = "local-lvm";
        public int Cores { get; set; } = 2;
        public int MemoryMb { get; set; } = 2048;
        public string Bridge { get; set; } = "vmbr0";
        public int? DiskSizeGb { get; set; }
        /// <summary>A URL the host downloads the image from (with curl) into <see cref="ImageStorage"/>'s iso folder.</summary>
        public string? ImageUrl { get; set; }
        /// <summary>The SHA-256 the downloaded image must have (hex); required with <see cref="ImageUrl"/>.</summary>
        public string? ImageSha256 { get; set; }

        /// <summary>
        /// The template a config entry marked <c>is_template</c> describes: its template_image, cores, memory,
        /// bridge and disk size, with Phoenix's defaults for what it leaves out.
        /// </summary>
        public static TemplateRequest FromSpec(VmSpec spec, string imageStorage, string storage)
        {
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            return new TemplateRequest
            {
                VmId = spec.VmId,
                Name = spec.Name ?? "template-" + spec.VmId.ToString(CultureInfo.InvariantCulture),
                Image = spec.TemplateImage ?? "",
                ImageStorage = imageStorage,
                Storage = storage,
                Cores = spec.Cores ?? 2,
                MemoryMb = spec.MemoryMb ?? 2048,
                Bridge = spec.NetworkBridge ?? "vmbr0",
                DiskSizeGb = spec.DiskSizeGb,
            };
        }
    }

    /// <summary>
    /// Builds a base template from a cloud image on the host: create, import the disk, attach it,
    /// cloud-init drive, serial console, agent on, resize, convert. Each piece is checked first, so a
    /// run that stopped halfway is finished by the next one, and a finished template is left alone.
    /// </summary>
    public static class TemplateBuilder
    {
        public static async Task<StepOutcome> EnsureTemplateAsync(ProxmoxHost host, TemplateRequest request, CancellationToken ct)
        {
            var changes = new List<string>();
            var inv = CultureInfo.InvariantCulture;
            var config = await VmProvisioner.TryGetConfigAsync(host, request.VmId, ct).ConfigureAwait(false);
            if (config != null && !string.IsNullOrEmpty(request.Name) && config.Name != request.Name)
            {
                // Never turn someone else's VM into a template: Phoenix names every template it makes, so a VM without that
                // name (or without any) is not Phoenix's, whatever it is.
                var shown = config.Name != null ? $"as '{config.Name}'" : "without a name";
                throw new PhoenixException(PhoenixErrorKind.AlreadyExists, ErrorIds.VmIdTaken,
                    $"VM {request.VmId} already exists on the host {shown}, but the template is to be '{request.Name}'. Phoenix did not make it " +
                        $"and does not take over another VM.", request.VmId)
                {
                    RecommendedAction = $"Give the template a free VMID in the config. If VM {request.VmId} really is this template, name it so " +
                        $"(qm set {request.VmId} --name {request.Name}); if it is not needed, remove it (Remove-PhoenixVm -VmId {request.VmId}).",
                };
            }
            if (config != null && config.IsTemplate)
                return StepOutcome.Unchanged($"VM {request.VmId} ({config.Name}) is already a template.");

            if (config == null)
            {
                if (string.IsNullOrEmpty(request.Image) && request.ImageUrl == null)
                {
                    throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.TemplateMissing,
                        $"Template VM {request.VmId} ({request.Name}) does not exist and no cloud image is given to build it from.", request.VmId)
                    { RecommendedAction = "Set template_image in the config (a file in the host's iso folder, e.g. /var/lib/vz/template/iso), or " +
                        "run New-PhoenixTemplate -Image <path on the host>." };
                }
                // A bad image name is refused before the VM is created, so it leaves nothing half-made.
                if (request.ImageUrl == null) CheckImage(request);
                var created = new[]
                {
                    Kv("name", request.Name),
                    Kv("cores", request.Cores.ToString(inv)),
                    Kv("memory", request.MemoryMb.ToString(inv)),
                    Kv("net0", "virtio,bridge=" + request.Bridge),
                    Kv("scsihw", "virtio-scsi-pci"),
                    Kv("ostype", "l26"),
                    Kv("agent", "1"),
                    Kv("serial0", "socket"),
                    Kv("vga", "serial0"),
                };
                await host.CreateAsync(request.VmId, created, ct).ConfigureAwait(false);
                changes.Add("created");
                // A plan goes on from the config the create would give, so it shows only what the real run sets next.
                config = host.IsDryRun ? new VmConfig(created)
                    : await host.GetVmConfigAsync(request.VmId, cancellationToken: ct).ConfigureAwait(false);
            }

            var set = new List<KeyValuePair<string, string>>();
            if (config["scsi0"] == null)
            {
                var unused = config.Disks.FirstOrDefault(d => d.IsUnused);
                string? volume = unused?.Volume;
                if (volume == null)
                {
                    var path = request.ImageUrl != null
                        ? await DownloadImageAsync(host, request, changes, ct).ConfigureAwait(false)
                        : await ImagePathAsync(host, request, ct).ConfigureAwait(false);
                    volume = await host.ImportDiskAsync(request.VmId, path, request.Storage, cancellationToken: ct).ConfigureAwait(false);
                    changes.Add($"imported {path}");
                    if (volume == null && !host.IsDryRun)
                    {
                        var after = await host.GetVmConfigAsync(request.VmId, cancellationToken: ct).ConfigureAwait(false);
                        volume = after.Disks.FirstOrDefault(d => d.IsUnused)?.Volume;
                    }
                    volume ??= $"{request.Storage}:vm-{request.VmId}-disk-0";
                }
                set.Add(Kv("scsi0", volume));
            }
            if (config.CloudInitDrive == null && config["ide2"] == null) set.Add(Kv("ide2", request.Storage + ":cloudinit"));
            if (config["boot"] == null || !config["boot"]!.Contains("scsi0")) set.Add(Kv("boot", "order=scsi0"));
            if (config["serial0"] == null) set.Add(Kv("serial0", "socket"));
            if (!config.IsAgentEnabled) set.Add(Kv("agent", "1"));
            if (set.Count > 0)
            {
                await host.SetAsync(request.VmId, set, ct).ConfigureAwait(false);
                changes.AddRange(set.Select(kv => $"set {kv.Key} {kv.Value}"));
            }

            if (request.DiskSizeGb is int gb)
            {
                var current = host.IsDryRun ? null : await host.GetVmConfigAsync(request.VmId, cancellationToken: ct).ConfigureAwait(false);
                var bytes = current?.GetDisk("scsi0")?.SizeBytes ?? 0;
                if ((long)gb * 1024 * 1024 * 1024 > bytes)
                {
                    await host.ResizeAsync(request.VmId, "scsi0", gb.ToString(inv) + "G", ct).ConfigureAwait(false);
                    changes.Add($"resized scsi0 to {gb}G");
                }
            }

            await host.TemplateAsync(request.VmId, ct).ConfigureAwait(false);
            changes.Add("converted to template");
            return new StepOutcome(changes, Array.Empty<string>());
        }

        private static async Task<string> ImagePathAsync(ProxmoxHost host, TemplateRequest request, CancellationToken ct)
        {
            CheckImage(request);
            if (request.Image.StartsWith("/", StringComparison.Ordinal)) return request.Image;
            return await host.StoragePathAsync($"{request.ImageStorage}:iso/{request.Image}", ct).ConfigureAwait(false);
        }

        // An absolute path on the host, or a plain file name in the image storage's iso folder.
        private static void CheckImage(TemplateRequest request)
        {
            if (request.Image.StartsWith("/", StringComparison.Ordinal) || (request.Image.IndexOf('/') < 0 && request.Image.IndexOf(':') < 0)) return;
            throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidImage,
                $"Template VM {request.VmId}: the image '{request.Image}' must be an absolute path on the host or a file name in storage " +
                    $"'{request.ImageStorage}' (its iso folder).", request.VmId);
        }

        /// <summary>
        /// Has the host download the image next to the others (Proxmox's iso folder of the image storage)
        /// under a temporary name, checks its SHA-256, then renames it into place. An image already there
        /// with the right checksum is used as it is.
        /// </summary>
        private static async Task<string> DownloadImageAsync(ProxmoxHost host, TemplateRequest request, List<string> changes, CancellationToken ct)
        {
            var want = (request.ImageSha256 ?? "").Trim().ToLowerInvariant();
            if (!System.Text.RegularExpressions.Regex.IsMatch(want, "^[0-9a-f]{64}$"))
            {
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.ImageChecksumMissing,
                    $"Template VM {request.VmId}: an image URL needs the SHA-256 the image must have (64 hex digits), so a corrupt or substituted " +
                        $"download is never imported.", request.VmId)
                { RecommendedAction = "Pass -ImageSha256 with the checksum from the distribution's SHA256SUMS file." };
            }
            var uri = new Uri(request.ImageUrl!);
            var name = System.IO.Path.GetFileName(uri.AbsolutePath);
            if (string.IsNullOrEmpty(name) || name.IndexOf(':') >= 0)
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidImage,
                    $"Template VM {request.VmId}: the URL '{request.ImageUrl}' names no file.", request.VmId);
            var path = await host.StoragePathAsync($"{request.ImageStorage}:iso/{name}", ct).ConfigureAwait(false);

            if (await Sha256Async(host, path, request.VmId, ct).ConfigureAwait(false) == want) return path;
            var part = path + ".phoenix-download";
            await host.ExecuteAsync(new RemoteCommand("curl", "-fsSL", "--retry", "3", "-o", part, request.ImageUrl!), request.VmId, ct).ConfigureAwait(false);
            var got = host.IsDryRun ? want : await Sha256Async(host, part, request.VmId, ct).ConfigureAwait(false);
            if (got != want)
            {
                await host.ExecuteAsync(new RemoteCommand("rm", "-f", "--", part), request.VmId, ct).ConfigureAwait(false);
                throw new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.ImageChecksumMismatch,
                    $"Template VM {request.VmId}: the image downloaded from {request.ImageUrl} has SHA-256 {got ?? "(unreadable)"}, not {want}; it " +
                        $"was deleted and nothing was imported.", request.VmId)
                { RecommendedAction = "Check the URL and the checksum against the distribution's SHA256SUMS file." };
            }
            await host.ExecuteAsync(new RemoteCommand("mv", "-f", "--", part, path), request.VmId, ct).ConfigureAwait(false);
            changes.Add($"downloaded {request.ImageUrl} to {path} (sha256 {want.Substring(0, 12)})");
            return path;
        }

        // The SHA-256 of a file on the host, or null when it is not there.
        private static async Task<string?> Sha256Async(ProxmoxHost host, string path, int vmId, CancellationToken ct)
        {
            try
            {
                var r = await host.ExecuteAsync(CommandIntent.MarkReadOnly(new RemoteCommand("sha256sum", "--", path)), vmId, ct).ConfigureAwait(false);
                var hex = r.StdOut.Split(' ')[0].Trim();
                return hex.Length == 64 ? hex.ToLowerInvariant() : null;
            }
            catch (ProxmoxException)
            {
                return null;
            }
        }

        private static KeyValuePair<string, string> Kv(string k, string v) => new KeyValuePair<string, string>(k, v);
    }
}
