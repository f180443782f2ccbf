using System.Diagnostics;
using System.Text.Json;
using Phoenix.Engine.Transport;
using Xunit;

namespace Phoenix.Engine.Tests.Transport;

/// <summary>
/// A real OpenSSH server on 127.0.0.1, started by tools/test-sshd.sh in a fresh temporary directory
/// and stopped by its PID when the test class is done.
/// </summary>
public sealed class TestSshServer : IDisposable
{
    public TestSshServer()
    {
        Dir = Path.Combine(Path.GetTempPath(), "phoenix-sshd-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Dir);
        var (exit, stdout, stderr) = Tools.Run("bash", [Path.Combine(Tools.RepoRoot, "tools", "test-sshd.sh"), "start", Dir], timeoutMs: 30_000);
        if (exit != 0) throw new InvalidOperationException($"tools/test-sshd.sh start failed ({exit}): {stderr}");
        using var json = JsonDocument.Parse(stdout.Trim());
        var root = json.RootElement;
        Host = root.GetProperty("host").GetString()!;
        Port = root.GetProperty("port").GetInt32();
        User = root.GetProperty("user").GetString()!;
        KeyFile = root.GetProperty("keyFile").GetString()!;
        HostKeyFingerprint = root.GetProperty("hostKeyFingerprint").GetString()!;
        Pid = root.GetProperty("pid").GetInt32();
        var pubFields = File.ReadAllText(Path.Combine(Dir, "host_ed25519_key.pub")).Split(' ');
        HostKey = Convert.FromBase64String(pubFields[1]);
    }

    public string Dir { get; }
    public string Host { get; }
    public int Port { get; }
    public string User { get; }
    public string KeyFile { get; }
    public string HostKeyFingerprint { get; }
    public int Pid { get; }

    /// <summary>The server's host public key blob.</summary>
    public byte[] HostKey { get; }

    /// <summary>Options that connect by key with the pinned fingerprint, and a known_hosts that stays out of ~/.ssh.</summary>
    public SshConnectionOptions Options() => new()
    {
        HostName = Host,
        Port = Port,
        UserName = User,
        KeyFile = KeyFile,
        HostKeyFingerprint = HostKeyFingerprint,
        KnownHostsPath = Path.Combine(Dir, "unused_known_hosts"),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>A fresh scratch directory inside the server's directory.</summary>
    public string NewScratchDir()
    {
        var d = Path.Combine(Dir, "scratch-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    public void Dispose()
    {
        if (IsRunning())
        {
            using var p = Process.GetProcessById(Pid);
            p.Kill();
        }
        for (var i = 0; i < 50 && IsRunning(); i++) Thread.Sleep(20);
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    // The PID is ours only while its command line names our config (PIDs get reused; a zombie has none).
    private bool IsRunning()
    {
        try
        {
            return File.ReadAllText($"/proc/{Pid}/cmdline").Contains(Path.Combine(Dir, "sshd_config"), StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}

internal static class Tools
{
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "tools", "test-sshd.sh"))) return d.FullName;
        throw new InvalidOperationException("tools/test-sshd.sh not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs a program without a shell; returns exit code, stdout, stderr.</summary>
    public static (int Exit, string StdOut, string StdErr) Run(string program, IEnumerable<string> args, int timeoutMs = 20_000)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill();
            throw new TimeoutException($"{program} did not finish within {timeoutMs} ms");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Generates an ed25519 key pair with ssh-keygen; returns the private key path.</summary>
    public static string NewKey(string dir, string name, string passphrase = "")
    {
        var path = Path.Combine(dir, name);
        var (exit, _, err) = Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", path]);
        if (exit != 0) throw new InvalidOperationException("ssh-keygen failed: " + err);
        return path;
    }
}
