using System.Net.Sockets;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;
using Renci.SshNet.Common;
using Xunit;

namespace Phoenix.Engine.Tests.Transport;

public sealed class SshConnectionOptionsTests
{
    private const string Fp = "SHA256:oFaRSbcQLRdr9u6kX/qtAWR8Ow0nmZyY122MOVho+yM";

    [Fact]
    public void Defaults_are_root_on_port_22_with_the_users_known_hosts()
    {
        var o = new SshConnectionOptions();
        Assert.Equal(22, o.Port);
        Assert.Equal("root", o.UserName);
        Assert.Equal(TimeSpan.FromSeconds(15), o.ConnectTimeout);
        Assert.False(o.AcceptNewHostKey);
        Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts"), o.KnownHostsPath);
    }

    [Theory]
    [InlineData(Fp)]
    [InlineData("oFaRSbcQLRdr9u6kX/qtAWR8Ow0nmZyY122MOVho+yM")]
    [InlineData("oFaRSbcQLRdr9u6kX/qtAWR8Ow0nmZyY122MOVho+yM=")]
    [InlineData("sha256:oFaRSbcQLRdr9u6kX/qtAWR8Ow0nmZyY122MOVho+yM=")]
    [InlineData("  SHA256:oFaRSbcQLRdr9u6kX/qtAWR8Ow0nmZyY122MOVho+yM \n")]
    public void Fingerprints_are_accepted_with_or_without_prefix_and_padding(string given)
    {
        Assert.Equal(Fp, SshConnectionOptions.NormalizeFingerprint(given));
    }

    [Fact]
    public void An_MD5_fingerprint_is_refused_with_a_hint()
    {
        var e = Assert.Throws<ArgumentException>(() => SshConnectionOptions.NormalizeFingerprint("MD5:97:70:33:82:fd:29:3a:73:39:af:6a:07:ad:f8:80:49"));
        Assert.StartsWith("'MD5:97:70:33:82:fd:29:3a:73:39:af:6a:07:ad:f8:80:49' is an MD5 fingerprint; give the SHA256 one that 'ssh-keygen -lf <key>.pub' prints (SHA256:...).", e.Message);
    }

    [Theory]
    [InlineData("SHA256:tooshort")]
    [InlineData("SHA256:oFaRSbcQLRdr9u6kX/qtAWR8Ow0nmZyY122MOVho+y!")]
    [InlineData("")]
    public void A_malformed_fingerprint_is_refused(string given)
    {
        var e = Assert.Throws<ArgumentException>(() => SshConnectionOptions.NormalizeFingerprint(given));
        Assert.Contains("is not a SHA256 host key fingerprint", e.Message);
    }

    [Fact]
    public async Task ConnectAsync_reports_a_malformed_fingerprint_before_any_network_traffic()
    {
        var o = new SshConnectionOptions { HostName = "pve1", Password = "x", HostKeyFingerprint = "SHA256:nope" };
        var e = await Assert.ThrowsAsync<PhoenixException>(() => SshHostConnection.ConnectAsync(o));
        Assert.Equal("InvalidHostKeyFingerprint", e.Reason);
        Assert.Equal(PhoenixErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void ToString_never_shows_a_secret()
    {
        var o = new SshConnectionOptions
        {
            HostName = "pve1",
            KeyFile = "/home/a/.ssh/id_ed25519",
            KeyPassphrase = "passphrase-secret",
            Password = "password-secret",
            HostKeyFingerprint = Fp,
        };
        Assert.Equal($"root@pve1:22 (key /home/a/.ssh/id_ed25519 with passphrase, password, pinned {Fp})", o.ToString());

        var k = new SshConnectionOptions { HostName = "::1", Port = 2222, UserName = "ops", KnownHostsPath = "/tmp/kh", AcceptNewHostKey = true };
        Assert.Equal("ops@[::1]:2222 (default keys, known_hosts /tmp/kh, accept new)", k.ToString());
    }

    [Fact]
    public void Clone_is_independent()
    {
        var o = new SshConnectionOptions { HostName = "a" };
        var c = o.Clone();
        o.HostName = "b";
        Assert.Equal("a", c.HostName);
    }
}

public sealed class SshFailuresTests
{
    private static PhoenixException Map(Exception e) =>
        SshFailures.ConnectFailed(e, "pve1.lab", 22, "root", "the key /k", TimeSpan.FromSeconds(15));

    [Theory]
    [InlineData(SocketError.HostNotFound)]
    [InlineData(SocketError.TryAgain)]
    [InlineData(SocketError.NoData)]
    public void A_name_that_does_not_resolve_is_HostNotFound(SocketError code)
    {
        var socket = new SocketException((int)code);
        var e = Map(socket);
        Assert.Equal("HostNotFound", e.Reason);
        Assert.Equal(PhoenixErrorKind.ConnectionError, e.Kind);
        Assert.Equal("pve1.lab", e.Target);
        Expect.Failure(e, $"Cannot connect to pve1.lab:22: the host name 'pve1.lab' could not be resolved ({socket.Message.TrimEnd('.')}).",
            "Check the spelling of 'pve1.lab' and the DNS settings of this machine, or give the host's IP address.");
        Assert.Same(socket, e.InnerException);
    }

    [Fact]
    public void Socket_errors_are_found_inside_wrappers()
    {
        var wrapped = new SshConnectionException("wrapped", new AggregateException(new SocketException((int)SocketError.ConnectionRefused)));
        Assert.Equal("ConnectionRefused", Map(wrapped).Reason);
    }

    [Fact]
    public void Timeouts_of_either_layer_are_ConnectionTimedOut()
    {
        Assert.Equal("ConnectionTimedOut", Map(new SocketException((int)SocketError.TimedOut)).Reason);
        var e = Map(new SshOperationTimeoutException("Socket read operation has timed out after 15000 milliseconds."));
        Assert.Equal("ConnectionTimedOut", e.Reason);
        Assert.StartsWith("Cannot connect to pve1.lab:22: no complete SSH answer within 15 s.", e.Message);
    }

    [Fact]
    public void Unreachable_networks_are_HostUnreachable()
    {
        Assert.Equal("HostUnreachable", Map(new SocketException((int)SocketError.NetworkUnreachable)).Reason);
    }

    [Fact]
    public void Refused_authentication_is_a_SecurityError()
    {
        var e = Map(new SshAuthenticationException("Permission denied (publickey)."));
        Assert.Equal("AuthenticationFailed", e.Reason);
        Assert.Equal(PhoenixErrorKind.SecurityError, e.Kind);
        Expect.Failure(e, "Authentication to pve1.lab:22 as 'root' failed: the server did not accept the key /k (Permission denied (publickey)).",
            "Check the user name (-UserName), and that the public key is in ~root/.ssh/authorized_keys on pve1.lab (ssh-copy-id does that), " +
            "or give the right key with -KeyFile or a password with -Credential.");
    }

    [Fact]
    public void Anything_else_is_ConnectionFailed_with_the_cause()
    {
        var e = Map(new SshConnectionException("Server response does not contain SSH identification string."));
        Assert.Equal("ConnectionFailed", e.Reason);
        Expect.Failure(e, "Cannot connect to pve1.lab:22: Server response does not contain SSH identification string.",
            "Check that pve1.lab:22 is an SSH server and that 'ssh -p 22 root@pve1.lab' works from this machine.");
    }

    [Theory]
    [InlineData("pve1", 22, "pve1:22")]
    [InlineData("::1", 2222, "[::1]:2222")]
    [InlineData("10.0.0.5", 22, "10.0.0.5:22")]
    public void Endpoints_bracket_IPv6(string host, int port, string expected)
    {
        Assert.Equal(expected, SshFailures.Endpoint(host, port));
    }

    [Theory]
    [InlineData(1000, "1 s")]
    [InlineData(1500, "1.5 s")]
    [InlineData(250, "250 ms")]
    [InlineData(60000, "60 s")]
    public void Durations_read_naturally(int ms, string expected)
    {
        Assert.Equal(expected, SshFailures.FormatDuration(TimeSpan.FromMilliseconds(ms)));
    }
}

public sealed class RemotePathsTests
{
    [Theory]
    [InlineData("")]
    [InlineData("/var/lib/")]
    [InlineData("/var/..")]
    [InlineData(".")]
    [InlineData("a\0b")]
    public void Paths_that_name_no_file_are_refused(string path)
    {
        Assert.Throws<ArgumentException>(() => RemotePaths.ValidateFilePath(path, "remotePath"));
    }

    [Fact]
    public void Certificate_algorithms_are_dropped_and_known_types_preferred()
    {
        var algorithms = new Dictionary<string, int>
        {
            ["ssh-ed25519-cert-v01@openssh.com"] = 0, ["ssh-ed25519"] = 0, ["ecdsa-sha2-nistp256"] = 0,
            ["rsa-sha2-512"] = 0, ["rsa-sha2-256"] = 0, ["ssh-rsa"] = 0,
        };
        SshHostConnection.RestrictHostKeyAlgorithms(algorithms, ["ssh-rsa"]);
        Assert.Equal(new[] { "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa" }, algorithms.Keys);

        var all = new Dictionary<string, int> { ["ssh-ed25519-cert-v01@openssh.com"] = 0, ["ssh-ed25519"] = 0, ["ssh-rsa"] = 0 };
        SshHostConnection.RestrictHostKeyAlgorithms(all, ["ssh-dss"]); // no overlap: leave the choice to verification
        Assert.Equal(new[] { "ssh-ed25519", "ssh-rsa" }, all.Keys);
    }
}

public sealed class LoginShellAndVerifierTests
{
    [Fact]
    public void The_login_shell_line_names_the_run_and_keeps_the_shell_alive()
    {
        Assert.Equal(": phoenix-run-0a1b2c3d4e5f; qm start 101 </dev/null; exit $?",
            SshHostConnection.WrapForLoginShell("qm start 101", "0a1b2c3d4e5f", hasInput: false));
        Assert.Equal(": phoenix-run-0a1b2c3d4e5f; cat; exit $?",
            SshHostConnection.WrapForLoginShell("cat", "0a1b2c3d4e5f", hasInput: true));
    }

    [Fact]
    public void A_reconnect_that_meets_another_key_than_the_session_is_HostKeyChanged()
    {
        var key = TestKeys.MakeEd25519Key(3);
        var earlier = KnownHostsFile.Fingerprint(TestKeys.MakeEd25519Key(4));
        var verifier = new HostKeyVerifier("pve1", 22, KnownHostsFile.Fingerprint(key), "/nonexistent/known_hosts", acceptNew: false);
        Assert.Null(verifier.Verify(key, null));
        var e = verifier.Verify(key, earlier)!;
        Assert.Equal("HostKeyChanged", e.Reason);
        Expect.Failure(e,
            $"The host key of pve1:22 has CHANGED: the host presented ssh-ed25519 {KnownHostsFile.Fingerprint(key)}, but this session connected with {earlier}. " +
            "Someone may be intercepting the connection (man-in-the-middle), or the host was reinstalled. Phoenix refuses a changed host key, even with -AcceptNewHostKey.",
            $"Check the fingerprint on the host itself, then connect again with -HostKeyFingerprint '{KnownHostsFile.Fingerprint(key)}' if the change is expected.");
    }

    [Fact]
    public void An_unreadable_known_hosts_file_refuses_instead_of_trusting()
    {
        var dir = Path.Combine(Path.GetTempPath(), "phoenix-kh-dir-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir); // a directory where the file should be
        try
        {
            var key = TestKeys.MakeEd25519Key(3);
            var e = new HostKeyVerifier("pve1", 22, null, dir, acceptNew: true).Verify(key, null)!;
            Assert.Equal("KnownHostsUnreadable", e.Reason);
            Assert.Equal(PhoenixErrorKind.SecurityError, e.Kind);
            Expect.Failure(e, $"The host key of pve1:22 cannot be checked: the known_hosts file {dir} cannot be read ({dir} is a directory).",
                $"Fix the permissions of {dir}, or pin the key with -HostKeyFingerprint '{KnownHostsFile.Fingerprint(key)}'.");
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}

/// <summary>Engine errors end their message with the advice that is also their RecommendedAction.</summary>
internal static class Expect
{
    public static void Failure(Phoenix.Engine.Errors.PhoenixException e, string failure, string advice)
    {
        Assert.Equal(advice, e.RecommendedAction);
        Assert.Equal(failure + " " + advice, e.Message);
    }
}
