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
    public async Task Commands_and_transfers_share_one_connection_as_sshd_sees_it()
    {
        var before = AcceptedBySshd();
        using var c = await SshHostConnection.ConnectAsync(_server.Options());
        Assert.Equal(1, c.ConnectionsOpened);

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => c.RunAsync(new RemoteCommand("echo", i.ToString()))));
        Assert.Equal(1, c.ConnectionsOpened);

        // Files go over the same connection (a script on a channel of it), never over an SFTP connection of their own.
        var file = Path.Combine(_server.NewScratchDir(), "f.txt");
        await c.UploadAsync(file, "x\n"u8.ToArray(), Convert.ToInt32("600", 8));
        Assert.Equal("x\n"u8.ToArray(), await c.DownloadAsync(file));
        Assert.True(await c.DeleteAsync(file));
        Assert.False(File.Exists(file));
        Assert.Equal(1, c.ConnectionsOpened);
        Assert.Equal(1, AcceptedBySshd() - before);
    }
}
