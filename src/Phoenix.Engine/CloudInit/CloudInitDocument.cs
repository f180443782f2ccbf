using System;
using System.Globalization;
using System.Text;
using Phoenix.Engine.Config;
using Phoenix.Engine.Text;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.CloudInit
{
    /// <summary>
    /// The rendered cloud-init files of one VM, ready to upload as Proxmox snippets. <see cref="UserData"/> holds the
    /// password hash when one is set: <see cref="ToString"/> shows names and hashes only, never the content.
    /// </summary>
    public sealed class CloudInitDocument
    {
        /// <summary>Snippets above this size make Proxmox refuse the cloud-init drive (<c>file '...' too long - aborting</c>).</summary>
        public const int MaxSnippetBytes = 1024 * 1024;

        internal CloudInitDocument(int vmId, string userData, string networkConfig, string templateSource)
        {
            VmId = vmId;
            UserData = userData;
            NetworkConfig = networkConfig;
            TemplateSource = templateSource;
            UserDataFileName = UserDataFileNameFor(vmId);
            NetworkConfigFileName = NetworkConfigFileNameFor(vmId);
            var ud = Encoding.UTF8.GetBytes(userData);
            var nc = Encoding.UTF8.GetBytes(networkConfig);
            UserDataHash = Hex.Sha256(ud);
            NetworkConfigHash = Hex.Sha256(nc);
            var both = new byte[ud.Length + 1 + nc.Length];
            Buffer.BlockCopy(ud, 0, both, 0, ud.Length);
            Buffer.BlockCopy(nc, 0, both, ud.Length + 1, nc.Length); // a 0 byte between: ("ab","c") and ("a","bc") differ
            Hash = Hex.Sha256(both);
        }

        /// <summary>The user-data snippet's file name for VM <paramref name="vmId"/>: <c>user-data-101.yml</c>.</summary>
        public static string UserDataFileNameFor(int vmId) => "user-data-" + vmId.ToString(CultureInfo.InvariantCulture) + ".yml";

        /// <summary>The network-config snippet's file name for VM <paramref name="vmId"/>: <c>network-config-101.yml</c>.</summary>
        public static string NetworkConfigFileNameFor(int vmId) => "network-config-" + vmId.ToString(CultureInfo.InvariantCulture) + ".yml";

        /// <summary>The VM the files are for.</summary>
        public int VmId { get; }

        /// <summary>The user-data text (<c>#cloud-config</c> on line 1), UTF-8, <c>\n</c> line ends.</summary>
        public string UserData { get; }

        /// <summary>The network-config text.</summary>
        public string NetworkConfig { get; }

        /// <summary><c>user-data-&lt;VMID&gt;.yml</c>.</summary>
        public string UserDataFileName { get; }

        /// <summary><c>network-config-&lt;VMID&gt;.yml</c>.</summary>
        public string NetworkConfigFileName { get; }

        /// <summary>SHA-256 (lower-case hex) of the UTF-8 user-data, a 0 byte, and the UTF-8 network-config.</summary>
        public string Hash { get; }

        /// <summary>SHA-256 (lower-case hex) of the UTF-8 user-data alone: compare with <c>sha256sum</c> of the uploaded snippet.</summary>
        public string UserDataHash { get; }

        /// <summary>SHA-256 (lower-case hex) of the UTF-8 network-config alone.</summary>
        public string NetworkConfigHash { get; }

        /// <summary>Which templates made the files.</summary>
        public string TemplateSource { get; }

        /// <summary>
        /// The <c>--cicustom</c> value for snippets on <paramref name="storage"/>:
        /// <c>user=&lt;storage&gt;:snippets/user-data-&lt;VMID&gt;.yml,network=&lt;storage&gt;:snippets/network-config-&lt;VMID&gt;.yml</c>.
        /// </summary>
        public string GetCicustom(string storage)
        {
            if (!ProxmoxNames.IsValidStorageId(storage)) throw new ArgumentException("'" + storage + "' is not a Proxmox storage ID.", nameof(storage));
            return "user=" + storage + ":snippets/" + UserDataFileName + ",network=" + storage + ":snippets/" + NetworkConfigFileName;
        }

        /// <summary><c>cloud-init for VM 1001: user-data-1001.yml, network-config-1001.yml (sha256 0123456789ab)</c>; never the content.</summary>
        public override string ToString()
            => "cloud-init for VM " + VmId.ToString(CultureInfo.InvariantCulture) + ": " + UserDataFileName + ", " + NetworkConfigFileName +
                " (sha256 " + Hash.Substring(0, 12) + ")";
    }
}
