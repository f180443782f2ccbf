using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Phoenix.Engine.Transport;
using Xunit;

namespace Phoenix.Engine.Tests.Transport;

/// <summary>
/// SshHostConnection.ConnectionsOpened (the benchmark's ssh_connections) against what a real sshd
/// logs: one "Accepted publickey" line per connection it let in.
/// </summary>
[UnsupportedOSPlatform("windows")] // sshd
public sealed class SshConnectionStatisticsTests : IClassFixture<TestSshServer>
{
    private readonly TestSshServer _server;

    public SshConnectionStatisticsTests(TestSshServer server) => _server = server;

    private int AcceptedBySshd() =>
        Regex.Matches(File.ReadAllText(Path.Combine(_server.Dir, "sshd.log")), @"^Accepted publickey for ", RegexOptions.Multiline).Count;

    [Fact]
    public async Task Counts_one_connection_for_all_commands_and_one_for_sftp_as_sshd_sees_them()
    {
        var before = AcceptedBySshd();
        using var c = await SshHostConnection.ConnectAsync(_server.Options());
        Assert.Equal(1, c.ConnectionsOpened);

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => c.RunAsync(new RemoteCommand("echo", i.ToString()))));
        Assert.Equal(1, c.ConnectionsOpened);

        // SSH.NET's SFTP client is a connection of its own, opened at the first transfer and then kept.
        var file = Path.Combine(_server.NewScratchDir(), "f.txt");
        await c.UploadAsync(file, "x\n"u8.ToArray(), Convert.ToInt32("600", 8));
        await c.DownloadAsync(file);
        Assert.Equal(2, c.ConnectionsOpened);
        Assert.Equal(2, AcceptedBySshd() - before);
    }
}
