namespace Phoenix.Engine.Tests.Config;

/// <summary>Finds the repository and the shared folder beside it (CI puts shared/ next to the clone).</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string RealWorldDir => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "realworld"));

    public static string RealWorldConfig => Path.Combine(RealWorldDir, "phoenix_vm_configs.json");

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Phoenix.PowerShell.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Phoenix.PowerShell.sln not found above " + AppContext.BaseDirectory);
    }
}
