using System.Runtime.Versioning;
using System.Text;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;
using Xunit;

namespace Phoenix.Engine.Tests.Transport;

/// <summary>SshHostConnection.ReadFilesAsync: several files in one command (the cloud-init step's marker and snippets).</summary>
[UnsupportedOSPlatform("windows")] // sshd
public sealed class SshReadFilesTests : IClassFixture<TestSshServer>
{
    private readonly TestSshServer _server;

    public SshReadFilesTests(TestSshServer server) => _server = server;

    [Fact]
    public async Task Reads_each_file_whole_in_order_and_null_for_a_missing_one()
    {
        var dir = _server.NewScratchDir();
        var text = Path.Combine(dir, "user-data-101.yml");
        var binary = Path.Combine(dir, "bin");
        var empty = Path.Combine(dir, "empty");
        var noNewline = Path.Combine(dir, ".phoenix-cloudinit-101");
        var bytes = new byte[] { 0, 10, 10, 255, 13, 10, 45, 10 };
        File.WriteAllText(text, "#cloud-config\nusers:\n  - name: a\n");
        File.WriteAllBytes(binary, bytes);
        File.WriteAllBytes(empty, Array.Empty<byte>());
        File.WriteAllText(noNewline, "abc 12");
        using var c = await SshHostConnection.ConnectAsync(_server.Options());

        var files = await c.ReadFilesAsync(new[] { noNewline, Path.Combine(dir, "missing"), text, binary, empty });

        Assert.Equal(5, files.Count);
        Assert.Equal("abc 12", Encoding.UTF8.GetString(files[0]!));
        Assert.Null(files[1]);
        Assert.Equal("#cloud-config\nusers:\n  - name: a\n", Encoding.UTF8.GetString(files[2]!));
        Assert.Equal(bytes, files[3]);
        Assert.Empty(files[4]!);
        // One command: one channel, as a single download takes.
        Assert.Equal(1, c.ConnectionsOpened);
    }

    [Fact]
    public async Task A_directory_among_the_files_fails_naming_it()
    {
        var dir = _server.NewScratchDir();
        using var c = await SshHostConnection.ConnectAsync(_server.Options());
        var e = await Assert.ThrowsAsync<PhoenixException>(() => c.ReadFilesAsync(new[] { Path.Combine(dir, "missing"), dir }));
        Assert.Contains(dir + " is a directory", e.Message);
    }

    [Fact]
    public void An_answer_cut_short_or_with_extra_bytes_is_refused()
    {
        Assert.Null(CommandTransfers.ParseFiles("5\nabc"u8.ToArray(), 1));
        Assert.Null(CommandTransfers.ParseFiles("-\n"u8.ToArray(), 2));
        Assert.Null(CommandTransfers.ParseFiles("1\nab"u8.ToArray(), 1));
        Assert.Null(CommandTransfers.ParseFiles("x\n"u8.ToArray(), 1));
        var ok = CommandTransfers.ParseFiles("-\n2\n\n\n0\n"u8.ToArray(), 3)!;
        Assert.Null(ok[0]);
        Assert.Equal("\n\n"u8.ToArray(), ok[1]);
        Assert.Empty(ok[2]!);
    }
}
