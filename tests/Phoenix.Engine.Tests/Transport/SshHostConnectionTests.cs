using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;
using System.Runtime.Versioning;
using Xunit;

namespace Phoenix.Engine.Tests.Transport;

/// <summary>SshHostConnection against a real OpenSSH server on 127.0.0.1 (tools/test-sshd.sh).</summary>
[UnsupportedOSPlatform("windows")] // POSIX file modes, ssh-keygen and sshd
public sealed class SshHostConnectionTests : IClassFixture<TestSshServer>
{
    private readonly TestSshServer _server;

    public SshHostConnectionTests(TestSshServer server) => _server = server;

    private string Endpoint => $"{_server.Host}:{_server.Port}";

    private Task<SshHostConnection> ConnectAsync(Action<SshConnectionOptions>? change = null)
    {
        var o = _server.Options();
        change?.Invoke(o);
        return SshHostConnection.ConnectAsync(o);
    }

    private static async Task<PhoenixException> ConnectFailsAsync(SshConnectionOptions o)
    {
        return await Assert.ThrowsAsync<PhoenixException>(() => SshHostConnection.ConnectAsync(o));
    }

    [Fact]
    public async Task Connects_by_key_with_the_pinned_fingerprint()
    {
        using var c = await ConnectAsync();
        Assert.True(c.IsConnected);
        Assert.Equal(_server.HostKeyFingerprint, c.HostKeyFingerprint);
        Assert.Equal("ssh-ed25519", c.HostKeyType);
        Assert.Equal("127.0.0.1", c.HostName);
        Assert.Equal(_server.Port, c.Port);
        Assert.Equal(_server.User, c.UserName);
        Assert.Equal($"{_server.User}@{Endpoint} {_server.HostKeyFingerprint} (connected)", c.ToString());
    }

    [Theory]
    [InlineData("bare")]
    [InlineData("padded")]
    [InlineData("lowercase-prefix")]
    public async Task Accepts_the_pinned_fingerprint_without_prefix_or_with_padding(string form)
    {
        var b64 = _server.HostKeyFingerprint["SHA256:".Length..];
        var pinned = form switch { "bare" => b64, "padded" => "SHA256:" + b64 + "=", _ => "sha256:" + b64 };
        using var c = await ConnectAsync(o => o.HostKeyFingerprint = pinned);
        Assert.Equal(_server.HostKeyFingerprint, c.HostKeyFingerprint);
    }

    [Fact]
    public async Task Runs_a_command_and_reads_exit_code_stdout_and_stderr()
    {
        using var c = await ConnectAsync();
        var r = await c.RunAsync(new RemoteCommand("sh", "-c", "echo out; echo err >&2; exit 3"));
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("out\n", r.StdOut);
        Assert.Equal("err\n", r.StdErr);
        Assert.False(r.Succeeded);
    }

    [Fact]
    public async Task Arguments_arrive_unchanged_and_output_is_utf8()
    {
        using var c = await ConnectAsync();
        string[] args = ["it's", "$(id) `id` $HOME * ~ ; && |", "line1\nline2\r\n\tx", "-n", "héllo 😀 \u200F", ""];
        var r = await c.RunAsync(new RemoteCommand("printf", "[%s]").Add(args));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Concat(args.Select(a => $"[{a}]")), r.StdOut);
    }

    [Fact]
    public async Task Delivers_standard_input()
    {
        using var c = await ConnectAsync();
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i} é😀\n"));
        var cmd = new RemoteCommand("cat") { StandardInput = Encoding.UTF8.GetBytes(text) };
        var r = await c.RunAsync(cmd);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(text, r.StdOut);

        var binary = new byte[1 << 20];
        new Random(7).NextBytes(binary);
        var count = await c.RunAsync(new RemoteCommand("wc", "-c") { StandardInput = binary });
        Assert.Equal("1048576", count.StdOut.Trim());
    }

    [Fact]
    public async Task A_command_that_reads_stdin_gets_end_of_file_when_there_is_no_input()
    {
        using var c = await ConnectAsync();
        var r = await c.RunAsync(new RemoteCommand("cat"), TimeSpan.FromSeconds(10));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.StdOut);
    }

    [Fact]
    public async Task Runs_twenty_commands_in_parallel_on_one_connection()
    {
        using var c = await ConnectAsync();
        var dir = _server.NewScratchDir();
        // Each command records when it started and ended on the server's clock, and waits (at most
        // 30 s) until a second command has started: run one after the other, they would never overlap.
        const string body =
            "d=\"$2\"; date +%s%N > \"$d/$1.start\"; i=0; " +
            "while [ \"$(ls \"$d\" | grep -c 'start$')\" -lt 2 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; " +
            "sleep 0.2; echo \"$1\"; echo \"e$1\" >&2; date +%s%N > \"$d/$1.end\"";
        var tasks = Enumerable.Range(0, 20)
            .Select(i => c.RunAsync(new RemoteCommand("sh", "-c", body, "sh", $"n{i}", dir)))
            .ToList();
        var results = await Task.WhenAll(tasks);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(0, results[i].ExitCode);
            Assert.Equal($"n{i}\n", results[i].StdOut);
            Assert.Equal($"en{i}\n", results[i].StdErr);
        }
        var spans = Enumerable.Range(0, 20).Select(i => (
            Start: long.Parse(File.ReadAllText(Path.Combine(dir, $"n{i}.start")).Trim()),
            End: long.Parse(File.ReadAllText(Path.Combine(dir, $"n{i}.end")).Trim()))).ToList();
        // The most commands running at one moment, counted from the server's own timestamps.
        var overlap = spans.Max(a => spans.Count(b => b.Start <= a.Start && a.Start < b.End));
        Assert.True(overlap >= 2, $"at most {overlap} command(s) ran at once");
    }

    [Fact]
    public async Task An_upload_removes_old_leftovers_of_a_cut_off_upload_and_keeps_fresh_ones()
    {
        using var c = await ConnectAsync();
        var dir = _server.NewScratchDir();
        var target = Path.Combine(dir, "user-data-101.yml");
        var stale = Path.Combine(dir, ".user-data-101.yml.phoenix-0123456789abcdef.tmp");
        var fresh = Path.Combine(dir, ".user-data-101.yml.phoenix-fedcba9876543210.tmp");
        var other = Path.Combine(dir, ".network-config-101.yml.phoenix-0123456789abcdef.tmp");
        foreach (var f in new[] { stale, fresh, other }) File.WriteAllText(f, "partial");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));
        File.SetLastWriteTimeUtc(other, DateTime.UtcNow.AddHours(-1));

        await c.UploadAsync(target, "a: 1\n"u8.ToArray(), Convert.ToInt32("600", 8));

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(other));
        Assert.Equal("a: 1\n", File.ReadAllText(target));
    }

    [Fact]
    public async Task Upload_is_atomic_applies_the_mode_and_download_reads_it_back()
    {
        using var c = await ConnectAsync();
        var dir = _server.NewScratchDir();
        var target = Path.Combine(dir, "user-data.yaml");
        const int size = 5 * 1024 * 1024;
        var a = new byte[size];
        var b = new byte[size];
        new Random(1).NextBytes(a);
        new Random(2).NextBytes(b);
        await c.UploadAsync(target, a, Convert.ToInt32("600", 8));

        using var stop = new CancellationTokenSource();
        var reads = 0;
        var bad = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var seen = File.ReadAllBytes(target);
                reads++;
                if (!seen.AsSpan().SequenceEqual(a) && !seen.AsSpan().SequenceEqual(b)) bad++;
            }
        });
        for (var i = 0; i < 6; i++) await c.UploadAsync(target, i % 2 == 0 ? b : a, Convert.ToInt32("600", 8));
        stop.Cancel();
        await reader;

        Assert.Equal(0, bad);
        Assert.True(reads > 5, $"the reader only read {reads} times");
        var stat = await c.RunAsync(new RemoteCommand("stat", "-c", "%a %s", target));
        Assert.Equal($"600 {size}\n", stat.StdOut);
        Assert.Equal(new[] { "user-data.yaml" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
        Assert.True((await c.DownloadAsync(target)).AsSpan().SequenceEqual(a));

        await c.UploadAsync(target, "small\n"u8.ToArray(), Convert.ToInt32("640", 8));
        Assert.Equal("640 6\n", (await c.RunAsync(new RemoteCommand("stat", "-c", "%a %s", target))).StdOut);
        Assert.Equal("small\n", Encoding.UTF8.GetString(await c.DownloadAsync(target)));
    }

    [Fact]
    public async Task A_failed_upload_leaves_no_temporary_file()
    {
        using var c = await ConnectAsync();
        var dir = _server.NewScratchDir();
        var target = Path.Combine(dir, "taken");
        Directory.CreateDirectory(target); // a directory cannot be replaced by a file

        var e = await Assert.ThrowsAsync<PhoenixException>(() => c.UploadAsync(target, [1, 2, 3], Convert.ToInt32("644", 8)));
        Assert.Equal("TransferFailed", e.Reason);
        Assert.StartsWith($"Failed: the upload of {target} on {Endpoint}: ", e.Message);
        Assert.EndsWith(". Check the path, its permissions and the free space on the host.", e.Message);
        Assert.Equal(new[] { "taken" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));

        var missingDir = await Assert.ThrowsAsync<PhoenixException>(() => c.UploadAsync(Path.Combine(dir, "nope", "f"), [1], 420));
        Assert.Equal("RemoteDirectoryNotFound", missingDir.Reason);
        Assert.Equal(PhoenixErrorKind.NotFound, missingDir.Kind);
        Expect.Failure(missingDir, $"Failed: the upload of {dir}/nope/f on {Endpoint}: the directory '{dir}/nope/' does not exist.",
            "Check the path, or create the directory on the host first.");
    }

    [Fact]
    public async Task Downloading_a_missing_file_throws_FileNotFoundException()
    {
        using var c = await ConnectAsync();
        var path = Path.Combine(_server.Dir, "does-not-exist");
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => c.DownloadAsync(path));
        Assert.Equal($"The file {path} does not exist on {Endpoint}.", e.Message);
        Assert.Equal(path, e.FileName);
    }

    [Fact]
    public async Task A_wrong_pinned_fingerprint_is_refused_with_the_real_fingerprint()
    {
        var o = _server.Options();
        o.HostKeyFingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        var e = await ConnectFailsAsync(o);
        Assert.Equal("HostKeyMismatch", e.Reason);
        Assert.Equal(PhoenixErrorKind.SecurityError, e.Kind);
        Assert.Equal("127.0.0.1", e.Target);
        Expect.Failure(e,
            $"The host key of {Endpoint} does not match the pinned fingerprint: the host presented ssh-ed25519 {_server.HostKeyFingerprint}, " +
            "but SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA was expected. Someone may be intercepting the connection (man-in-the-middle), " +
            "or the host was reinstalled. Phoenix did not log in.",
            "Check the fingerprint on the host itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub). " +
            $"Only if the host key really changed, pin the new one with -HostKeyFingerprint '{_server.HostKeyFingerprint}'.");
    }

    [Fact]
    public async Task An_unknown_host_key_is_refused_with_its_fingerprint_and_how_to_trust_it()
    {
        var dir = _server.NewScratchDir();
        var knownHosts = Path.Combine(dir, "known_hosts");
        File.WriteAllText(knownHosts, "");
        var o = _server.Options();
        o.HostKeyFingerprint = null;
        o.KnownHostsPath = knownHosts;
        var e = await ConnectFailsAsync(o);
        Assert.Equal("HostKeyUnknown", e.Reason);
        Assert.Equal(PhoenixErrorKind.SecurityError, e.Kind);
        Expect.Failure(e,
            $"The host key of {Endpoint} is not known: the host presented ssh-ed25519 {_server.HostKeyFingerprint}, and {knownHosts} does not list [127.0.0.1]:{_server.Port}. " +
            "Phoenix does not trust a host it has not seen before.",
            "Check the fingerprint on the host itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then connect again with " +
            $"-HostKeyFingerprint '{_server.HostKeyFingerprint}' to pin it, or with -AcceptNewHostKey to add it to {knownHosts}.");
        Assert.Equal("", File.ReadAllText(knownHosts));
    }

    [Fact]
    public async Task AcceptNewHostKey_records_the_key_and_a_later_connection_trusts_it()
    {
        var dir = Path.Combine(_server.NewScratchDir(), "new-ssh-dir");
        var knownHosts = Path.Combine(dir, "known_hosts");
        using (var c = await ConnectAsync(o =>
               {
                   o.HostKeyFingerprint = null;
                   o.KnownHostsPath = knownHosts;
                   o.AcceptNewHostKey = true;
               }))
        {
            // A transfer uses the same connection: the key is recorded once.
            await c.UploadAsync(Path.Combine(dir, "probe"), [1], 384);
        }

        var expectedLine = $"[127.0.0.1]:{_server.Port} ssh-ed25519 {Convert.ToBase64String(_server.HostKey)}\n";
        Assert.Equal(expectedLine, File.ReadAllText(knownHosts));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(knownHosts));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));

        using var again = await ConnectAsync(o =>
        {
            o.HostKeyFingerprint = null;
            o.KnownHostsPath = knownHosts;
        });
        Assert.Equal(_server.HostKeyFingerprint, again.HostKeyFingerprint);

        // OpenSSH reads the line we wrote.
        var (exit, found, _) = Tools.Run("ssh-keygen", ["-F", $"[127.0.0.1]:{_server.Port}", "-f", knownHosts]);
        Assert.Equal(0, exit);
        Assert.Contains(Convert.ToBase64String(_server.HostKey), found);
    }

    [Fact]
    public async Task A_hashed_known_hosts_entry_written_by_ssh_keygen_is_trusted()
    {
        var knownHosts = Path.Combine(_server.NewScratchDir(), "known_hosts");
        File.WriteAllText(knownHosts, $"[127.0.0.1]:{_server.Port} ssh-ed25519 {Convert.ToBase64String(_server.HostKey)}\n");
        var (exit, _, err) = Tools.Run("ssh-keygen", ["-H", "-f", knownHosts]);
        Assert.True(exit == 0, err);
        Assert.StartsWith("|1|", File.ReadAllText(knownHosts));
        using var c = await ConnectAsync(o =>
        {
            o.HostKeyFingerprint = null;
            o.KnownHostsPath = knownHosts;
        });
        Assert.True(c.IsConnected);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_changed_host_key_is_always_refused(bool acceptNew)
    {
        var knownHosts = Path.Combine(_server.NewScratchDir(), "known_hosts");
        var otherKey = TestKeys.MakeEd25519Key(99);
        var content = $"# lab\n[127.0.0.1]:{_server.Port} ssh-ed25519 {Convert.ToBase64String(otherKey)}\n";
        File.WriteAllText(knownHosts, content);
        var o = _server.Options();
        o.HostKeyFingerprint = null;
        o.KnownHostsPath = knownHosts;
        o.AcceptNewHostKey = acceptNew;
        var e = await ConnectFailsAsync(o);
        Assert.Equal("HostKeyChanged", e.Reason);
        Assert.Equal(PhoenixErrorKind.SecurityError, e.Kind);
        Expect.Failure(e,
            $"The host key of {Endpoint} has CHANGED: the host presented ssh-ed25519 {_server.HostKeyFingerprint}, but {knownHosts} lists " +
            $"ssh-ed25519 {KnownHostsFile.Fingerprint(otherKey)} (line 2). Someone may be intercepting the connection (man-in-the-middle), " +
            "or the host was reinstalled. Phoenix refuses a changed host key, even with -AcceptNewHostKey.",
            $"Check the fingerprint on the host itself. Only if the change is expected, remove the old key with `ssh-keygen -R '[127.0.0.1]:{_server.Port}' -f {knownHosts}` " +
            $"and connect again with -HostKeyFingerprint '{_server.HostKeyFingerprint}' or -AcceptNewHostKey.");
        Assert.Equal(content, File.ReadAllText(knownHosts));
    }

    [Fact]
    public async Task A_revoked_host_key_is_refused()
    {
        var knownHosts = Path.Combine(_server.NewScratchDir(), "known_hosts");
        var b64 = Convert.ToBase64String(_server.HostKey);
        File.WriteAllText(knownHosts, $"[127.0.0.1]:{_server.Port} ssh-ed25519 {b64}\n@revoked * ssh-ed25519 {b64}\n");
        var o = _server.Options();
        o.HostKeyFingerprint = null;
        o.KnownHostsPath = knownHosts;
        var e = await ConnectFailsAsync(o);
        Assert.Equal("HostKeyRevoked", e.Reason);
        Expect.Failure(e,
            $"The host key of {Endpoint} (ssh-ed25519 {_server.HostKeyFingerprint}) is marked @revoked in {knownHosts} line 2. Phoenix refuses revoked keys.",
            "Give the host a new host key, or ask whoever revoked this key why.");
    }

    [Fact]
    public async Task A_closed_port_gives_ConnectionRefused()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var o = _server.Options();
        o.Port = port;
        var e = await ConnectFailsAsync(o);
        Assert.Equal("ConnectionRefused", e.Reason);
        Assert.Equal(PhoenixErrorKind.ConnectionError, e.Kind);
        Assert.Equal("127.0.0.1", e.Target);
        Expect.Failure(e,
            $"Cannot connect to 127.0.0.1:{port}: the connection was refused. No SSH server listens on port {port} there, or a firewall rejects the connection.",
            $"Check that sshd runs on 127.0.0.1 and listens on port {port} (-Port), and that no firewall rejects it.");
    }

    [Fact]
    public async Task A_server_that_never_answers_gives_ConnectionTimedOut()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(); // accepts at the TCP level, never says a word of SSH
        try
        {
            var o = _server.Options();
            o.Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            o.ConnectTimeout = TimeSpan.FromSeconds(1);
            var e = await ConnectFailsAsync(o);
            Assert.Equal("ConnectionTimedOut", e.Reason);
            Assert.StartsWith($"Cannot connect to 127.0.0.1:{o.Port}: no complete SSH answer within 1 s.", e.Message);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task A_key_the_server_does_not_accept_gives_AuthenticationFailed()
    {
        var key = Tools.NewKey(_server.NewScratchDir(), "stranger");
        var o = _server.Options();
        o.KeyFile = key;
        var e = await ConnectFailsAsync(o);
        Assert.Equal("AuthenticationFailed", e.Reason);
        Assert.Equal(PhoenixErrorKind.SecurityError, e.Kind);
        Expect.Failure(e, $"Authentication to {Endpoint} as '{_server.User}' failed: the server did not accept the key {key} (Permission denied (publickey)).",
            $"Check the user name (-UserName), and that the public key is in ~{_server.User}/.ssh/authorized_keys on 127.0.0.1 (ssh-copy-id does that), " +
            "or give the right key with -KeyFile or a password with -Credential.");
    }

    [Fact]
    public async Task A_wrong_password_gives_AuthenticationFailed_without_showing_it()
    {
        var o = _server.Options();
        o.KeyFile = null;
        o.Password = "hunter2-'secret'";
        var e = await ConnectFailsAsync(o);
        Assert.Equal("AuthenticationFailed", e.Reason);
        Assert.DoesNotContain("hunter2", e.Message + e.RecommendedAction + o.ToString());
    }

    [Fact]
    public async Task A_key_with_a_passphrase_works_and_a_wrong_or_missing_passphrase_is_KeyFileInvalid()
    {
        var key = Tools.NewKey(_server.NewScratchDir(), "locked", "open sesame");
        File.AppendAllText(Path.Combine(_server.Dir, "authorized_keys"), File.ReadAllText(key + ".pub"));

        using (var c = await ConnectAsync(o => { o.KeyFile = key; o.KeyPassphrase = "open sesame"; }))
            Assert.Equal("ok\n", (await c.RunAsync(new RemoteCommand("echo", "ok"))).StdOut);

        var wrong = _server.Options();
        wrong.KeyFile = key;
        wrong.KeyPassphrase = "close sesame";
        var e = await ConnectFailsAsync(wrong);
        Assert.Equal("KeyFileInvalid", e.Reason);
        Expect.Failure(e, $"The private key file {key} cannot be used to connect to {Endpoint}: the passphrase is wrong.",
            "Check the passphrase given with -KeyPassphrase.");
        Assert.DoesNotContain("sesame", e.Message);

        var none = _server.Options();
        none.KeyFile = key;
        var e2 = await ConnectFailsAsync(none);
        Assert.Equal("KeyFileInvalid", e2.Reason);
        Expect.Failure(e2, $"The private key file {key} cannot be used to connect to {Endpoint}: it is protected by a passphrase and none was given.",
            "Give the passphrase with -KeyPassphrase.");
    }

    [Fact]
    public async Task A_missing_key_file_is_KeyFileInvalid()
    {
        var o = _server.Options();
        o.KeyFile = Path.Combine(_server.Dir, "no-such-key");
        var e = await ConnectFailsAsync(o);
        Assert.Equal("KeyFileInvalid", e.Reason);
        Assert.Equal(PhoenixErrorKind.InvalidArgument, e.Kind);
        Expect.Failure(e, $"The private key file {o.KeyFile} cannot be used to connect to {Endpoint}: it does not exist.", "Check the path given with -KeyFile.");
    }

    [Fact]
    public async Task A_timeout_stops_the_command_quickly_and_the_connection_still_works()
    {
        using var c = await ConnectAsync();
        var marker = "phoenix-timeout-" + Guid.NewGuid().ToString("N")[..8];
        // The command would run for 10 minutes: it is only gone if Phoenix stopped it.
        var e = await Assert.ThrowsAsync<TimeoutException>(() =>
            c.RunAsync(new RemoteCommand("sh", "-c", "sleep 600; echo \"$0\"", marker), TimeSpan.FromSeconds(1)));
        Assert.Equal(
            $"Timed out after 1 s: sh -c 'sleep 600; echo \"$0\"' {marker} on {Endpoint}. Phoenix stopped waiting and asked the host to stop the command (SIGTERM).",
            e.Message);
        Assert.Equal("ok\n", (await c.RunAsync(new RemoteCommand("echo", "ok"))).StdOut);
        await AssertGoneAsync(c, marker);
    }

    [Fact]
    public async Task Cancellation_stops_the_command_quickly_and_the_connection_still_works()
    {
        using var c = await ConnectAsync();
        var marker = "phoenix-cancel-" + Guid.NewGuid().ToString("N")[..8];
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            c.RunAsync(new RemoteCommand("sh", "-c", "sleep 600; echo \"$0\"", marker), cancellationToken: cts.Token));
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal(
            $"Cancelled: sh -c 'sleep 600; echo \"$0\"' {marker} on {Endpoint}. Phoenix stopped waiting and asked the host to stop the command (SIGTERM).",
            e.Message);
        Assert.Equal("ok\n", (await c.RunAsync(new RemoteCommand("echo", "ok"))).StdOut);
        await AssertGoneAsync(c, marker);
    }

    // The remote shell was sent SIGTERM: no process with the marker on its command line may remain.
    // The marker goes in as two halves so the checking shell does not count itself.
    private static async Task AssertGoneAsync(SshHostConnection c, string marker)
    {
        const string count =
            "m=\"$0$1\"; n=0; for p in /proc/[0-9]*; do a=$(tr '\\0' ' ' < \"$p/cmdline\" 2>/dev/null); " +
            "case $a in *\"$m\"*) n=$((n+1));; esac; done; echo $n";
        CommandResult r = null!;
        // A safety bound, not a timing: the process goes within moments of the SIGTERM.
        for (var i = 0; i < 300; i++)
        {
            r = await c.RunAsync(new RemoteCommand("sh", "-c", count, marker[..5], marker[5..]));
            if (r.StdOut == "0\n") return;
            await Task.Delay(100);
        }
        Assert.Fail($"{r.StdOut.Trim()} remote process(es) with {marker} still running");
    }

    [Fact]
    public async Task The_log_callback_gets_the_redacted_command_line_and_never_the_secret()
    {
        using var c = await ConnectAsync();
        var lines = new ConcurrentQueue<string>();
        c.Log = lines.Enqueue;
        const string secret = "pa'ss\"w $(rm) rd";
        var cmd = new RemoteCommand("printf", "%s").AddSecret(secret);
        var r = await c.RunAsync(cmd);
        Assert.Equal(secret, r.StdOut); // it did reach the host
        await c.UploadAsync(Path.Combine(_server.NewScratchDir(), "f"), Encoding.UTF8.GetBytes(secret), 384);

        Assert.Equal("printf %s '<redacted>'", lines.First());
        Assert.Contains(lines, l => l.StartsWith("upload ", StringComparison.Ordinal) && l.EndsWith("(16 bytes, mode 0600)", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain("pa'ss", l));
        Assert.All(lines, l => Assert.DoesNotContain("w $(rm)", l));
    }

    [Fact]
    public async Task A_dropped_connection_is_ConnectionLost_and_the_next_call_reconnects()
    {
        using var c = await ConnectAsync();
        // Kill the sshd process that serves this connection (the first sshd above the shell).
        const string killSession =
            "p=$$; while :; do p=$(awk '{print $4}' /proc/$p/stat); case $(cat /proc/$p/comm) in sshd*) kill -9 $p; sleep 5; exit;; esac; done";
        var e = await Assert.ThrowsAsync<PhoenixException>(() => c.RunAsync(new RemoteCommand("sh", "-c", killSession), TimeSpan.FromSeconds(20)));
        Assert.Equal("ConnectionLost", e.Reason);
        Assert.Equal(PhoenixErrorKind.ConnectionError, e.Kind);
        Assert.StartsWith($"The connection to {Endpoint} was lost during sh -c ", e.Message);
        Assert.EndsWith("It may or may not have completed on the host. The next call reconnects. " +
            "Check 127.0.0.1 and the network, look at the host's state, then run the operation again.", e.Message);
        Assert.False(c.IsConnected);

        Assert.Equal("back\n", (await c.RunAsync(new RemoteCommand("echo", "back"))).StdOut);
        Assert.True(c.IsConnected);
        Assert.Equal(_server.HostKeyFingerprint, c.HostKeyFingerprint);
    }

    [Fact]
    public async Task A_disposed_connection_refuses_work()
    {
        var c = await ConnectAsync();
        c.Dispose();
        Assert.False(c.IsConnected);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => c.RunAsync(new RemoteCommand("true")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => c.DownloadAsync("/etc/hostname"));
    }
}
