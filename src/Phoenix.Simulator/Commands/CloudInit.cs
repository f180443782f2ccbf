using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    internal sealed partial class NodeCommands
    {
        private const int SnippetMax = 1024 * 1024;

        // 0600: the files of a cloud-init drive hold the user-data.
        private const int DriveFileMode = 0x180;

        /// <summary>qm cloudinit dump: always the auto-generated config (cicustom ignored), plus a newline.</summary>
        public int QmCloudInitDump(CommandContext c)
        {
            Delay(c);
            var vmid = Vmid(c);
            var conf = Node.LoadConfig(vmid);
            var type = c.Get("type")!;
            var section = conf.Main;
            string text;
            var nocloud = CloudInitFormat(section) == "nocloud";
            switch (type)
            {
                case "user":
                    text = UserData(section, vmid);
                    break;
                case "network":
                    text = nocloud ? NocloudNetwork(section) : ConfigDrive2Network(section);
                    break;
                default:
                    var user = UserData(section, vmid);
                    var net = nocloud ? NocloudNetwork(section) : ConfigDrive2Network(section);
                    text = nocloud ? "instance-id: " + Sha1Hex(user + net) + "\n" : ConfigDrive2Metadata(Sha1Hex(user + net));
                    break;
            }
            c.Out.Append(text).Append('\n');
            return 0;
        }

        /// <summary>qm cloudinit update: regenerate the ISO under the config lock (no drive: nothing).</summary>
        public int QmCloudInitUpdate(CommandContext c)
        {
            var vmid = Vmid(c);
            using (Node.LockConfig(vmid, c.Err, c.Inv.Ct))
            {
                var conf = Node.LoadConfig(vmid);
                CheckLock(conf);
                Delay(c);
                GenerateCloudInit(vmid, conf.Main, c.Out);
            }
            return 0;
        }

        /// <summary>
        /// Cloudinit.pm generate_cloudinit_config: for each drive named vm-&lt;vmid&gt;-cloudinit, read the
        /// custom snippets (where snippet errors come from), build the rest, check sizes, and "write the ISO".
        /// The generated files are kept under /var/lib/phoenix-sim/cloudinit/&lt;vmid&gt;/ for inspection.
        /// </summary>
        internal void GenerateCloudInit(int vmid, ConfigSection conf, System.Text.StringBuilder output)
        {
            foreach (var kv in Drives(conf))
            {
                if (!StorageConfig.TryParseVolumeId(kv.Value.File, out var storeid, out var volname)) continue;
                if (!Regex.IsMatch(volname, $"vm-{vmid}-cloudinit")) continue;

                var format = CloudInitFormat(conf);
                var custom = CustomFiles(conf);
                string user = custom.User ?? UserData(conf, vmid);
                string network;
                string meta;
                if (format == "nocloud")
                {
                    network = custom.Network ?? NocloudNetwork(conf);
                    meta = custom.Meta ?? "instance-id: " + Sha1Hex(user + network) + "\n";
                }
                else
                {
                    network = custom.Network ?? ConfigDrive2Network(conf);
                    meta = custom.Meta ?? ConfigDrive2Metadata(Sha1Hex(user + network));
                }
                var vendor = custom.Vendor ?? "";
                var sum = new[] { user, network, meta, vendor }.Sum(part => (long)Encoding.UTF8.GetByteCount(part));
                if (sum > 3 * 1024 * 1024) throw new PveDie("Cloud-Init sum of snippets too big (> 3 MiB)");

                var storage = Node.LoadStorage().Require(storeid);
                if (Node.FindVolume(kv.Value.File) == null)
                {
                    var name = Regex.Match(volname, $@"(vm-{vmid}-cloudinit(\.\w+)?)").Groups[1].Value;
                    var file = name.Contains('/') ? name.Substring(name.LastIndexOf('/') + 1) : name;
                    Node.AllocVolume(storage, vmid, storage.IsFileBased ? "qcow2" : "raw", file, 4 * 1024 * 1024, output);
                }
                output.Append("generating cloud-init ISO\n");
                // The drive's files carry the user-data (a password hash): root's alone from creation, as the snippets are.
                var dir = $"/var/lib/phoenix-sim/cloudinit/{vmid}";
                Node.Store.DeleteTree(dir);
                if (format == "nocloud")
                {
                    Node.Store.WriteFile(dir + "/user-data", Encoding.UTF8.GetBytes(user), DriveFileMode);
                    Node.Store.WriteFile(dir + "/network-config", Encoding.UTF8.GetBytes(network), DriveFileMode);
                    Node.Store.WriteFile(dir + "/meta-data", Encoding.UTF8.GetBytes(meta), DriveFileMode);
                    Node.Store.WriteFile(dir + "/vendor-data", Encoding.UTF8.GetBytes(vendor), DriveFileMode);
                }
                else
                {
                    Node.Store.WriteFile(dir + "/openstack/latest/user_data", Encoding.UTF8.GetBytes(user), DriveFileMode);
                    Node.Store.WriteFile(dir + "/openstack/content/0000", Encoding.UTF8.GetBytes(network), DriveFileMode);
                    Node.Store.WriteFile(dir + "/openstack/latest/meta_data.json", Encoding.UTF8.GetBytes(meta), DriveFileMode);
                    Node.Store.WriteFile(dir + "/openstack/latest/vendor_data.json", Encoding.UTF8.GetBytes(vendor), DriveFileMode);
                }
            }
        }

        internal static bool HasCloudInitDrive(int vmid, ConfigSection conf) =>
            Drives(conf).Any(d => StorageConfig.TryParseVolumeId(d.Value.File, out _, out var vn) && Regex.IsMatch(vn, $"vm-{vmid}-cloudinit"));

        private sealed class CustomSnippets
        {
            public string? User, Network, Meta, Vendor;
        }

        /// <summary>get_custom_cloudinit_files: network, user, meta, vendor, in that order.</summary>
        private CustomSnippets CustomFiles(ConfigSection conf)
        {
            var res = new CustomSnippets();
            var cicustom = conf["cicustom"];
            if (string.IsNullOrEmpty(cicustom)) return res;
            var files = Formats.CiCustom.Parse(cicustom!, out var err, "cicustom");
            if (err != null) throw new PveDie(err);
            var storageCfg = Node.LoadStorage();
            if (files.TryGetValue("network", out var n)) res.Network = ReadSnippet(storageCfg, n);
            if (files.TryGetValue("user", out var u)) res.User = ReadSnippet(storageCfg, u);
            if (files.TryGetValue("meta", out var m)) res.Meta = ReadSnippet(storageCfg, m);
            if (files.TryGetValue("vendor", out var v)) res.Vendor = ReadSnippet(storageCfg, v);
            return res;
        }

        /// <summary>read_cloudinit_snippets_file with the storage layer's own errors.</summary>
        private string ReadSnippet(StorageConfig cfg, string volid)
        {
            if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) throw new PveDie($"unable to parse volume ID '{volid}'");
            var storage = cfg.Require(sid);
            var info = StorageConfig.ParseVolname(storage, volname);
            if (info.VType != "snippets") throw new PveDie($"{volid} is not in the snippets directory");
            var path = StorageConfig.VolumePath(storage, info);
            var data = Node.Store.ReadFile(path);
            if (data == null) throw new PveDie($"can't find file '{volid}'");
            if (data.Length > SnippetMax) throw new PveDie($"file '{path}' too long - aborting");
            // file_get_contents returns bytes; Perl then treats them as characters.
            return Encoding.UTF8.GetString(data);
        }

        private static string CloudInitFormat(ConfigSection conf)
        {
            if (conf["citype"] is string t) return t;
            if (conf["ostype"] is string os && Regex.IsMatch(os, "^(wxp|w2k|w2k3|w2k8|wvista|win7|win8|win10|win11)$")) return "configdrive2";
            return "nocloud";
        }

        private static (string Hostname, string Fqdn) HostnameFqdn(ConfigSection conf, int vmid)
        {
            var hostname = conf["name"] ?? "VM" + vmid.ToString(CultureInfo.InvariantCulture);
            string fqdn;
            if (hostname.Contains('.'))
            {
                fqdn = hostname;
                hostname = hostname.Substring(0, hostname.IndexOf('.'));
            }
            else if (!string.IsNullOrEmpty(conf["searchdomain"])) fqdn = hostname + "." + conf["searchdomain"];
            else fqdn = hostname;
            return (hostname, fqdn);
        }

        /// <summary>Cloudinit.pm cloudinit_userdata.</summary>
        internal static string UserData(ConfigSection conf, int vmid)
        {
            var (hostname, fqdn) = HostnameFqdn(conf, vmid);
            var sb = new StringBuilder();
            sb.Append("#cloud-config\n");
            sb.Append("hostname: ").Append(hostname).Append('\n');
            sb.Append("manage_etc_hosts: true\n");
            sb.Append("fqdn: ").Append(fqdn).Append('\n');
            var user = conf["ciuser"];
            var password = conf["cipassword"];
            if (user != null) sb.Append("user: ").Append(user).Append('\n');
            if (user == "root") sb.Append("disable_root: False\n");
            if (password != null) sb.Append("password: ").Append(password).Append('\n');
            if (conf["sshkeys"] is string keys)
            {
                var decoded = PveText.UriUnescape(keys);
                sb.Append("ssh_authorized_keys:\n");
                foreach (var k in decoded.Split('\n').Select(k => k.TrimEnd('\r')).Where(k => Regex.IsMatch(k, @"\S")))
                    sb.Append("  - ").Append(k).Append('\n');
            }
            sb.Append("chpasswd:\n");
            sb.Append("  expire: False\n");
            if (user != "root")
            {
                sb.Append("users:\n");
                sb.Append("  - default\n");
            }
            if (conf["ciupgrade"] == null || conf["ciupgrade"] != "0") sb.Append("package_upgrade: true\n");
            return sb.ToString();
        }

        private (List<string> Search, List<string> Nameservers) DnsConf(ConfigSection conf)
        {
            var search = Regex.Split(conf["searchdomain"] ?? Node.Settings.SearchDomain, @"\s+").ToList();
            List<string> ns;
            if (conf["nameserver"] is string n) ns = Regex.Split(n, @"\s+").ToList();
            else ns = Node.Settings.Nameservers.Where(x => x.Length > 0).ToList();
            return (search, ns);
        }

        private static Dictionary<string, string> IpConfig(ConfigSection conf, string id) =>
            Formats.IpConfig.Parse(conf["ipconfig" + id] ?? "", out _, "ipconfig" + id);

        private static IEnumerable<string> NetIds(ConfigSection conf) =>
            conf.Values.Keys.Where(k => Regex.IsMatch(k, @"^net\d+$")).OrderBy(k => k, StringComparer.Ordinal).Select(k => k.Substring(3));

        /// <summary>Cloudinit.pm nocloud_network (version 1).</summary>
        internal string NocloudNetwork(ConfigSection conf)
        {
            var sb = new StringBuilder("version: 1\nconfig:\n");
            foreach (var id in NetIds(conf))
            {
                if (string.IsNullOrEmpty(conf["ipconfig" + id])) continue;
                var net = NetSpec.Parse(conf["net" + id]!, out _);
                var mac = net?.Mac?.ToLowerInvariant();
                if (string.IsNullOrEmpty(mac)) throw new PveDie($"network interface 'net{id}' has no mac address");
                var ip = IpConfig(conf, id);
                var i = "    ";
                sb.Append(i).Append("- type: physical\n")
                  .Append(i).Append("  name: eth").Append(id).Append('\n')
                  .Append(i).Append("  mac_address: '").Append(mac).Append("'\n")
                  .Append(i).Append("  subnets:\n");
                i += "  ";
                if (ip.TryGetValue("ip", out var v4))
                {
                    if (v4 == "dhcp") sb.Append(i).Append("- type: dhcp4\n");
                    else
                    {
                        var (addr, mask) = SplitIp4(v4);
                        sb.Append(i).Append("- type: static\n")
                          .Append(i).Append("  address: '").Append(addr).Append("'\n")
                          .Append(i).Append("  netmask: '").Append(mask).Append("'\n");
                        if (ip.TryGetValue("gw", out var gw)) sb.Append(i).Append("  gateway: '").Append(gw).Append("'\n");
                    }
                }
                if (ip.TryGetValue("ip6", out var v6))
                {
                    if (v6 == "dhcp") sb.Append(i).Append("- type: dhcp6\n");
                    else if (v6 == "auto") sb.Append(i).Append("- type: ipv6_slaac\n");
                    else
                    {
                        sb.Append(i).Append("- type: static6\n").Append(i).Append("  address: '").Append(v6).Append("'\n");
                        if (ip.TryGetValue("gw6", out var gw6)) sb.Append(i).Append("  gateway: '").Append(gw6).Append("'\n");
                    }
                }
            }
            var (search, ns) = DnsConf(conf);
            var ind = "    ";
            sb.Append(ind).Append("- type: nameserver\n");
            if (ns.Count > 0)
            {
                sb.Append(ind).Append("  address:\n");
                foreach (var n in ns) sb.Append(ind).Append("  - '").Append(n).Append("'\n");
            }
            if (search.Count > 0)
            {
                sb.Append(ind).Append("  search:\n");
                foreach (var s in search) sb.Append(ind).Append("  - '").Append(s).Append("'\n");
            }
            return sb.ToString();
        }

        /// <summary>Cloudinit.pm configdrive2_network (ENI).</summary>
        internal string ConfigDrive2Network(ConfigSection conf)
        {
            var sb = new StringBuilder("auto lo\niface lo inet loopback\n\n");
            var (search, ns) = DnsConf(conf);
            if (ns.Count > 0) sb.Append("        dns_nameservers ").Append(string.Join(" ", ns)).Append('\n');
            if (search.Count > 0) sb.Append("        dns_search ").Append(string.Join(" ", search)).Append('\n');
            foreach (var idRaw in NetIds(conf))
            {
                if (string.IsNullOrEmpty(conf["ipconfig" + idRaw])) continue;
                var ip = IpConfig(conf, idRaw);
                var id = "eth" + idRaw;
                sb.Append("auto ").Append(id).Append('\n');
                if (ip.TryGetValue("ip", out var v4))
                {
                    if (v4 == "dhcp") sb.Append("iface ").Append(id).Append(" inet dhcp\n");
                    else
                    {
                        var (addr, mask) = SplitIp4(v4);
                        sb.Append("iface ").Append(id).Append(" inet static\n");
                        sb.Append("        address ").Append(addr).Append('\n');
                        sb.Append("        netmask ").Append(mask).Append('\n');
                        if (ip.TryGetValue("gw", out var gw)) sb.Append("        gateway ").Append(gw).Append('\n');
                    }
                }
                if (ip.TryGetValue("ip6", out var v6))
                {
                    if (v6 == "auto" || v6 == "dhcp") sb.Append("iface ").Append(id).Append(" inet6 ").Append(v6).Append('\n');
                    else
                    {
                        var parts = v6.Split('/');
                        sb.Append("iface ").Append(id).Append(" inet6 static\n");
                        sb.Append("        address ").Append(parts[0]).Append('\n');
                        sb.Append("        netmask ").Append(parts.Length > 1 ? parts[1] : "").Append('\n');
                        if (ip.TryGetValue("gw6", out var gw6)) sb.Append("        gateway ").Append(gw6).Append('\n');
                    }
                }
            }
            return sb.ToString();
        }

        private static string ConfigDrive2Metadata(string uuid) =>
            "{\n     \"uuid\": \"" + uuid + "\",\n     \"network_config\": { \"content_path\": \"/content/0000\" }\n}\n";

        private static (string Addr, string Mask) SplitIp4(string cidr)
        {
            var parts = cidr.Split('/');
            if (parts.Length < 2) throw new PveDie($"not a CIDR: {cidr}");
            var len = int.Parse(parts[1], CultureInfo.InvariantCulture);
            var mask = len == 0 ? 0u : uint.MaxValue << (32 - len);
            return (parts[0], $"{mask >> 24}.{(mask >> 16) & 255}.{(mask >> 8) & 255}.{mask & 255}");
        }

        internal static string Sha1Hex(string text)
        {
            using (var sha1 = SHA1.Create())
            {
                return string.Concat(sha1.ComputeHash(Encoding.UTF8.GetBytes(text)).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            }
        }
    }
}
