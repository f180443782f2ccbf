using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Guest;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    internal sealed partial class NodeCommands
    {
        private const int MaxInputData = 1024 * 1024;
        private const int MaxCapturedOutput = 16 * 1024 * 1024;

        /// <summary>qm guest exec (qm.pm exec; Agent.pm qemu_exec / qemu_exec_status).</summary>
        public int QmGuestExec(CommandContext c)
        {
            var vmid = Vmid(c);
            var sync = c.Get("synchronous") != "0";
            if (c.Get("timeout") != null && !sync) throw new ParamException("synchronous", "needs to be set for 'timeout'");
            byte[]? input = null;
            if (c.Flag("pass-stdin"))
            {
                input = c.Inv.Stdin ?? Array.Empty<byte>();
                if (input.Length > MaxInputData) throw new PveDie("'input-data' (STDIN) is limited to 1 MiB, aborting");
            }
            var args = c.ExtraArgs.Count > 0 ? c.ExtraArgs : null;
            var conf = Node.LoadConfig(vmid);
            if (input == null && args == null) throw new PveDie("command or input-data (or both) required");
            AssertAgentAvailable(vmid, conf);
            Delay(c);

            var timeout = c.IntOpt("timeout") ?? 30;
            var guest = Node.Guest(vmid);
            int pid;
            try
            {
                pid = Runner.StartExec(new GuestExecRequest(guest, (IReadOnlyList<string>?)args ?? Array.Empty<string>(), input,
                    TimeSpan.FromSeconds(timeout), Faults?.GuestResults.ToList() ?? new List<CannedGuestResult>(), c.Inv.Ct));
            }
            catch (GuestAgentException e)
            {
                throw new PveDie("Agent error: " + e.Message);
            }

            object result = PidResult(pid);
            if (sync)
            {
                var start = Clock.UtcNow;
                var exited = false;
                while (timeout == 0 || (Clock.UtcNow - start).TotalSeconds < timeout)
                {
                    var status = Runner.GetExecStatus(guest, pid) ?? throw new PveDie("Agent error: Invalid parameter 'pid'");
                    if (status.Exited)
                    {
                        result = StatusResult(status);
                        exited = true;
                        break;
                    }
                    Clock.Sleep(GuestExecPollInterval, c.Inv.Ct);
                }
                if (!exited) c.Err.Append("timeout reached, returning pid\n");
            }
            c.Out.Append(PerlJson.Pretty(result));
            return 0;
        }

        private static SortedDictionary<string, object?> PidResult(int pid)
        {
            var o = PerlJson.Obj();
            o["pid"] = pid;
            return o;
        }

        /// <summary>The exec-status hash as qm prints it: booleans as 1/0, data decoded, empty data left out.</summary>
        private static SortedDictionary<string, object?> StatusResult(GuestExecStatus status)
        {
            var o = PerlJson.Obj();
            o["exited"] = status.Exited ? 1 : 0;
            if (!status.Exited) return o;
            if (status.Signal.HasValue) o["signal"] = status.Signal.Value;
            else o["exitcode"] = status.ExitCode ?? 0;
            AddData(o, "out", status.OutData);
            AddData(o, "err", status.ErrData);
            return o;
        }

        private static void AddData(SortedDictionary<string, object?> o, string stream, byte[] data)
        {
            if (data.Length == 0) return;
            if (data.Length > MaxCapturedOutput)
            {
                data = data.Take(MaxCapturedOutput).ToArray();
                o[stream + "-truncated"] = 1;
            }
            // decode_base64 yields bytes, which the JSON encoder then treats as Latin-1 characters:
            // non-ASCII guest output comes out double-encoded, exactly like on Proxmox.
            o[stream + "-data"] = Encoding.GetEncoding("ISO-8859-1").GetString(data);
        }

        /// <summary>qm guest exec-status.</summary>
        public int QmGuestExecStatus(CommandContext c)
        {
            var vmid = Vmid(c);
            var pid = c.Int("pid");
            var conf = Node.LoadConfig(vmid);
            AssertAgentAvailable(vmid, conf);
            Delay(c);
            var status = Runner.GetExecStatus(Node.Guest(vmid), pid) ?? throw new PveDie("Agent error: Invalid parameter 'pid'");
            c.Out.Append(PerlJson.Pretty(StatusResult(status)));
            return 0;
        }

        /// <summary>qm guest cmd / qm agent: ping prints nothing, hashes and lists print as JSON, scalars as a line.</summary>
        public int QmGuestCmd(CommandContext c)
        {
            var vmid = Vmid(c);
            var command = c.Get("command")!;
            var conf = Node.LoadConfig(vmid);
            AssertAgentAvailable(vmid, conf);
            Delay(c);
            object? result = AgentCommand(vmid, conf, command);
            if (result == null) return 0;
            if (result is string s)
            {
                s = s.TrimEnd('\n');
                if (s.Trim().Length > 0) c.Out.Append(s).Append('\n');
                return 0;
            }
            if (result is IDictionary<string, object?> d && d.Count == 0) return 0;
            c.Out.Append(PerlJson.Pretty(result));
            return 0;
        }

        private object? AgentCommand(int vmid, SimVmConfig conf, string command)
        {
            var name = conf["name"] ?? "VM" + vmid.ToString(CultureInfo.InvariantCulture);
            var host = name.Contains('.') ? name.Substring(0, name.IndexOf('.')) : name;
            switch (command)
            {
                case "ping":
                    return PerlJson.Obj();
                case "network-get-interfaces":
                    return NetworkInterfaces(vmid, conf);
                case "get-host-name":
                {
                    var o = PerlJson.Obj();
                    o["host-name"] = host;
                    return o;
                }
                case "get-osinfo":
                {
                    var o = PerlJson.Obj();
                    o["id"] = "ubuntu";
                    o["kernel-release"] = "6.8.0-51-generic";
                    o["kernel-version"] = "#52-Ubuntu SMP PREEMPT_DYNAMIC Thu Dec  5 13:09:44 UTC 2024";
                    o["machine"] = "x86_64";
                    o["name"] = "Ubuntu";
                    o["pretty-name"] = "Ubuntu 24.04.1 LTS";
                    o["version"] = "24.04.1 LTS (Noble Numbat)";
                    o["version-id"] = "24.04";
                    return o;
                }
                case "info":
                {
                    var o = PerlJson.Obj();
                    o["supported_commands"] = new List<object?>();
                    o["version"] = "8.2.2";
                    return o;
                }
                case "get-time":
                    return Clock.UtcNow.ToUnixTimeMilliseconds() * 1000000L;
                case "get-timezone":
                {
                    var o = PerlJson.Obj();
                    o["offset"] = 0;
                    o["zone"] = "UTC";
                    return o;
                }
                case "get-users":
                    return new List<object?>();
                case "get-vcpus":
                {
                    var cores = int.TryParse(conf["cores"], out var co) ? co : 1;
                    var list = new List<object?>();
                    for (var i = 0; i < cores; i++)
                    {
                        var o = PerlJson.Obj();
                        o["can-offline"] = i == 0 ? 0 : 1;
                        o["logical-id"] = i;
                        o["online"] = 1;
                        list.Add(o);
                    }
                    return list;
                }
                case "fsfreeze-status":
                    return "thawed";
                case "fsfreeze-freeze":
                case "fsfreeze-thaw":
                    return "1";
                case "shutdown":
                    StopVm(vmid);
                    return null;
                case "fstrim":
                {
                    var path = PerlJson.Obj();
                    path["minimum"] = 0;
                    path["path"] = "/";
                    path["trimmed"] = 0;
                    var o = PerlJson.Obj();
                    o["paths"] = new List<object?> { path };
                    return o;
                }
                default:
                    return new List<object?>();
            }
        }

        /// <summary>A plausible guest-network-get-interfaces: lo, and ethN per netN with ipconfigN's address or a DHCP-looking one.</summary>
        private List<object?> NetworkInterfaces(int vmid, SimVmConfig conf)
        {
            var list = new List<object?>
            {
                Interface("lo", "00:00:00:00:00:00", new[] { ("127.0.0.1", "ipv4", 8), ("::1", "ipv6", 128) }, 4526),
            };
            foreach (var id in NetIds(conf.Main))
            {
                var net = NetSpec.Parse(conf["net" + id]!, out _);
                var mac = (net?.Mac ?? "BC:24:11:00:00:00").ToLowerInvariant();
                var ip = IpConfig(conf.Main, id);
                var addrs = new List<(string, string, int)>();
                if (ip.TryGetValue("ip", out var v4) && v4 != "dhcp" && v4 != "manual")
                {
                    var parts = v4.Split('/');
                    addrs.Add((parts[0], "ipv4", int.Parse(parts[1], CultureInfo.InvariantCulture)));
                }
                else if (!ip.TryGetValue("ip", out var m) || m != "manual")
                {
                    addrs.Add(($"10.0.0.{200 + (vmid + int.Parse(id, CultureInfo.InvariantCulture)) % 50}", "ipv4", 24));
                }
                if (ip.TryGetValue("ip6", out var v6) && v6.Contains('/'))
                {
                    var parts = v6.Split('/');
                    addrs.Add((parts[0], "ipv6", int.Parse(parts[1], CultureInfo.InvariantCulture)));
                }
                addrs.Add((LinkLocal(mac), "ipv6", 64));
                list.Add(Interface("eth" + id, mac, addrs, 184320 + vmid));
            }
            return list;
        }

        private static SortedDictionary<string, object?> Interface(string name, string mac,
            IEnumerable<(string Address, string Type, int Prefix)> addresses, long traffic)
        {
            var o = PerlJson.Obj();
            o["hardware-address"] = mac;
            o["ip-addresses"] = addresses.Select(a =>
            {
                var x = PerlJson.Obj();
                x["ip-address"] = a.Address;
                x["ip-address-type"] = a.Type;
                x["prefix"] = a.Prefix;
                return (object?)x;
            }).ToList();
            o["name"] = name;
            var stats = PerlJson.Obj();
            stats["rx-bytes"] = traffic;
            stats["rx-dropped"] = 0;
            stats["rx-errs"] = 0;
            stats["rx-packets"] = traffic / 100;
            stats["tx-bytes"] = traffic;
            stats["tx-dropped"] = 0;
            stats["tx-errs"] = 0;
            stats["tx-packets"] = traffic / 100;
            o["statistics"] = stats;
            return o;
        }

        /// <summary>The EUI-64 link-local address the guest kernel derives from a MAC.</summary>
        private static string LinkLocal(string mac)
        {
            var b = mac.Split(':').Select(h => System.Convert.ToByte(h, 16)).ToArray();
            b[0] ^= 0x02;
            string G(int hi, int lo) => ((hi << 8) | lo).ToString("x", CultureInfo.InvariantCulture);
            return $"fe80::{G(b[0], b[1])}:{G(b[2], 0xff)}:{G(0xfe, b[3])}:{G(b[4], b[5])}";
        }
    }
}
