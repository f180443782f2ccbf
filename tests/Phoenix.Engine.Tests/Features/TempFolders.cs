namespace Phoenix.Engine.Tests.Features;

/// <summary>Throwaway folders for catalog tests, removed afterwards.</summary>
internal sealed class TempFolders : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "phoenix-features-" + Guid.NewGuid().ToString("N"));

    public TempFolders() => Directory.CreateDirectory(_root);

    public string Folder(string name)
    {
        string path = Path.Combine(_root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public string Write(string folder, string fileName, string content)
    {
        string path = Path.Combine(Folder(folder), fileName);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
