using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Tests.Config;

namespace Phoenix.Engine.Tests.CloudInit;

/// <summary>
/// Renders every case once, then runs cloud-init's own validators and PyYAML over all files in ONE batch
/// (a process per file from the tests would cost seconds each run): `cloud-init schema -c` per user-data,
/// `cloud-init devel net-convert ... -O networkd` per network-config, and yaml.safe_load of every file.
/// </summary>
public sealed class CloudInitToolsFixture : IDisposable
{
    public CloudInitToolsFixture()
    {
        if (!File.Exists("/usr/bin/cloud-init"))
            throw new InvalidOperationException("cloud-init is not installed; run 'apt-get install -y cloud-init' (Debian's 22.4) before these tests.");
        Dir = Directory.CreateTempSubdirectory("phoenix-ci-").FullName;

        var r = new CloudInitRenderer();
        void Add(string name, CloudInitDocument d, bool userData = true)
        {
            Documents[name] = d;
            if (userData) File.WriteAllText(Path.Combine(Dir, "ud-" + name + ".yml"), d.UserData);
            File.WriteAllText(Path.Combine(Dir, "nc-" + name + ".yml"), d.NetworkConfig);
        }
        Add("static", r.Render(CloudInitCases.Static()));
        Add("dhcp", r.Render(CloudInitCases.Dhcp()));
        Add("dhcp-nodns", r.Render(CloudInitCases.DhcpNoDns()));
        Add("several", r.Render(CloudInitCases.Several()));
        Add("hostile", r.Render(CloudInitCases.Hostile()));
        foreach (var vm in PhoenixConfigLoader.Load(TestPaths.RealWorldConfig).Vms) Add("real-" + vm.VmId, r.Render(vm));
        foreach (var vm in PhoenixConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "examples", "phoenix.example.json")).Vms) Add("example-" + vm.VmId, r.Render(vm));
        // The bash system's network template, rendered the Phoenix way (its user-data has a null write_files, so only network).
        var bash = CloudInitTemplateSet.FromDirectory(Path.Combine(TestPaths.RealWorldDir, "cloud-init"));
        var rb = new CloudInitRenderer(new CloudInitTemplateSet(CloudInitTemplateSet.Default.UserData, bash.NetworkConfig));
        Add("bash-static", rb.Render(CloudInitCases.Static()), userData: false);
        Add("bash-dhcp", rb.Render(CloudInitCases.Dhcp()), userData: false);
        // The original real-world files, when they sit beside the clone (never required).
        if (File.Exists(TestPaths.SharedRealWorldConfig))
        {
            foreach (var vm in PhoenixConfigLoader.Load(TestPaths.SharedRealWorldConfig).Vms) Add("shared-" + vm.VmId, r.Render(vm));
            var sharedBash = CloudInitTemplateSet.FromDirectory(Path.Combine(TestPaths.SharedRealWorldDir, "cloud-init"));
            Add("shared-bash-dhcp", new CloudInitRenderer(new CloudInitTemplateSet(CloudInitTemplateSet.Default.UserData, sharedBash.NetworkConfig)).Render(CloudInitCases.Dhcp()), userData: false);
        }

        var script = Path.Combine(Dir, "check.sh");
        File.WriteAllText(script, """
            cd "$1" || exit 2
            ( for f in ud-*.yml; do cloud-init schema -c "$f" >"schema-${f%.yml}.txt" 2>&1; echo "SCHEMA ${f} $?"; done ) > schema.out &
            ( for f in nc-*.yml; do b=${f%.yml}; cloud-init devel net-convert -p "$f" -k yaml -D debian -O networkd -d "out-$b" >"net-$b.txt" 2>&1; echo "NET ${f} $?"; done ) > net.out &
            wait
            cat schema.out net.out
            python3 -c 'import glob, json, yaml; print("YAML " + json.dumps({f: yaml.safe_load(open(f, encoding="utf-8")) for f in sorted(glob.glob("*.yml"))}, ensure_ascii=True))'
            """.Replace("\r\n", "\n"));
        var psi = new ProcessStartInfo("bash", new[] { script, Dir }) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000)) { p.Kill(true); throw new TimeoutException("cloud-init checks took over 180 s"); }
        foreach (var line in stdout.Result.Split('\n'))
        {
            if (line.StartsWith("SCHEMA ") || line.StartsWith("NET "))
            {
                var parts = line.Split(' ');
                ExitCodes[parts[1]] = int.Parse(parts[2]);
            }
            else if (line.StartsWith("YAML ")) Parsed = JObject.Parse(line.Substring(5));
        }
        if (Parsed == null) throw new InvalidOperationException("PyYAML check printed nothing: " + stderr.Result);
    }

    public string Dir { get; }

    public Dictionary<string, CloudInitDocument> Documents { get; } = new();

    /// <summary>Exit code per file name (ud-*.yml: cloud-init schema; nc-*.yml: net-convert).</summary>
    public Dictionary<string, int> ExitCodes { get; } = new();

    /// <summary>Every rendered file as PyYAML (what cloud-init uses) reads it, keyed by file name.</summary>
    public JObject Parsed { get; } = new();

    public string Output(string file) => File.ReadAllText(Path.Combine(Dir, file));

    /// <summary>The systemd-networkd file net-convert wrote for a network case.</summary>
    public string Networkd(string name) => File.ReadAllText(Path.Combine(Dir, "out-nc-" + name, "etc", "systemd", "network", "10-cloud-init-ens18.network"));

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
