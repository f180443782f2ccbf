namespace Phoenix.Engine.Tests.Features;

/// <summary>Finds the repository the tests were built from (the folder with Phoenix.PowerShell.sln).</summary>
internal static class RepoPaths
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Phoenix.PowerShell.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Phoenix.PowerShell.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Features => Path.Combine(Root, "features");
}
