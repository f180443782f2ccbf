using Xunit;

namespace Phoenix.Engine.Tests.Config;

/// <summary>
/// Finds the repository and the fixtures in it. The suite needs nothing outside the clone: the
/// real-world config's shape is reproduced in tests/fixtures/realworld-shape. Where the original
/// files sit beside the clone (../shared/realworld, as in CI), <see cref="SharedRealWorldFactAttribute"/>
/// tests also run on them.
/// </summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The in-repo config and bash templates in the shape of the real-world ones.</summary>
    public static string RealWorldDir => Path.Combine(RepoRoot, "tests", "fixtures", "realworld-shape");

    public static string RealWorldConfig => Path.Combine(RealWorldDir, "phoenix_vm_configs.json");

    /// <summary>The original real-world files, when a checkout has them beside it; never required.</summary>
    public static string SharedRealWorldDir => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "realworld"));

    public static string SharedRealWorldConfig => Path.Combine(SharedRealWorldDir, "phoenix_vm_configs.json");

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Phoenix.PowerShell.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Phoenix.PowerShell.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A test of compatibility with the original real-world file: skipped when that file is not beside the clone.</summary>
public sealed class SharedRealWorldFactAttribute : FactAttribute
{
    public SharedRealWorldFactAttribute()
    {
        if (!File.Exists(TestPaths.SharedRealWorldConfig))
            Skip = "the original real-world files (../shared/realworld) are not beside this clone; the in-repo fixture covers their shape";
    }
}
