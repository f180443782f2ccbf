using System.Text;
using Phoenix.Simulator.State;

namespace Phoenix.Simulator.Tests;

/// <summary>The two state stores: files, modes, listing, locks.</summary>
public class StateStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "phoenix-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    public static IEnumerable<object[]> Kinds() => new[] { new object[] { "memory" }, new object[] { "folder" } };

    private IStateStore Make(string kind) => kind == "memory" ? new MemoryStateStore() : new FolderStateStore(_dir);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void WriteReadListDelete(string kind)
    {
        var store = Make(kind);
        store.WriteFile("/var/lib/vz/snippets/a.yml", Encoding.UTF8.GetBytes("a"), 0x180);
        store.WriteFile("/var/lib/vz/snippets/sub/b.yml", Encoding.UTF8.GetBytes("bb"));
        Assert.Equal("a", Encoding.UTF8.GetString(store.ReadFile("/var/lib/vz/snippets/a.yml")!));
        Assert.Equal(2, store.GetSize("/var/lib/vz/snippets/sub/b.yml"));
        Assert.Equal(0x180, store.GetMode("/var/lib/vz/snippets/a.yml"));
        Assert.Equal(new[] { "/var/lib/vz/snippets/a.yml", "/var/lib/vz/snippets/sub/b.yml" }, store.ListFiles("/var/lib/vz/snippets"));
        Assert.True(store.DeleteFile("/var/lib/vz/snippets/a.yml"));
        Assert.False(store.DeleteFile("/var/lib/vz/snippets/a.yml"));
        Assert.Null(store.ReadFile("/var/lib/vz/snippets/a.yml"));
        store.DeleteTree("/var/lib/vz");
        Assert.Empty(store.ListFiles("/var/lib/vz"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void PathsMayNotEscape(string kind)
    {
        var store = Make(kind);
        Assert.Throws<ArgumentException>(() => store.WriteFile("/var/../../etc/passwd", new byte[1]));
        Assert.Throws<ArgumentException>(() => store.ReadFile("relative/path"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ExclusiveAndSharedLocks(string kind)
    {
        var store = Make(kind);
        using (var ex = store.TryLock("/var/lock/qemu-server/lock-100.conf", shared: false))
        {
            Assert.NotNull(ex);
            Assert.Null(store.TryLock("/var/lock/qemu-server/lock-100.conf", shared: false));
            Assert.Null(store.TryLock("/var/lock/qemu-server/lock-100.conf", shared: true));
            using var other = store.TryLock("/var/lock/qemu-server/lock-101.conf", shared: false);
            Assert.NotNull(other);
        }
        using var s1 = store.TryLock("/var/lock/qemu-server/lock-100.conf", shared: true);
        using var s2 = store.TryLock("/var/lock/qemu-server/lock-100.conf", shared: true);
        Assert.NotNull(s1);
        Assert.NotNull(s2);
        Assert.Null(store.TryLock("/var/lock/qemu-server/lock-100.conf", shared: false));
    }

    [Fact]
    public void FolderLocksHoldAcrossStoreInstances()
    {
        var a = new FolderStateStore(_dir);
        var b = new FolderStateStore(_dir);
        using var held = a.TryLock("/var/lock/qemu-server/lock-100.conf", shared: false);
        Assert.NotNull(held);
        Assert.Null(b.TryLock("/var/lock/qemu-server/lock-100.conf", shared: false));
        held!.Dispose();
        using var now = b.TryLock("/var/lock/qemu-server/lock-100.conf", shared: false);
        Assert.NotNull(now);
    }

    [Fact]
    public void FolderStoreKeepsNodeFilesUnderNodeAndLeavesNoTemporaries()
    {
        var store = new FolderStateStore(_dir);
        for (var i = 0; i < 5; i++) store.WriteFile("/etc/pve/storage.cfg", Encoding.UTF8.GetBytes("v" + i));
        Assert.Equal(Path.Combine(_dir, "node", "etc", "pve", "storage.cfg"), store.HostPath("/etc/pve/storage.cfg"));
        Assert.Equal(new[] { "storage.cfg" }, Directory.GetFiles(Path.Combine(_dir, "node", "etc", "pve")).Select(Path.GetFileName));
        Assert.Equal("v4", File.ReadAllText(store.HostPath("/etc/pve/storage.cfg")));
    }

    [Fact]
    public void FolderNodeIsSharedBySimulators()
    {
        var one = new ProxmoxSimulator(new SimulatorOptions { StateDirectory = _dir, NodeName = "alpha" });
        Assert.Equal(0, one.Execute(new[] { "qm", "clone", "9000", "101" }, null, CancellationToken.None).ExitCode);
        var two = new ProxmoxSimulator(new SimulatorOptions { StateDirectory = _dir, NodeName = "ignored" });
        Assert.Equal("alpha", two.Node.Name);
        Assert.Equal(new[] { 101, 9000 }, two.Node.VmIds);
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(_dir, "node", "etc", "hostname")));
        Assert.True(Directory.Exists(Path.Combine(_dir, "node", "var", "lib", "vz", "snippets")));
    }
}
