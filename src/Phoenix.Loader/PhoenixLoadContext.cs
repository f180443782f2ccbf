using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace Phoenix.Loader
{
    /// <summary>
    /// The load context Phoenix's engine and its libraries live in on PowerShell 7. The cmdlets
    /// (Phoenix.PowerShell.dll) stay in the default context, where PowerShell finds their types; when the
    /// runtime looks for one of Phoenix's own assemblies there (Phoenix.Engine, Phoenix.Simulator), the
    /// handler below hands it the copy in this context, and everything that copy needs is then loaded here
    /// from the module folder. So a module that brought another YamlDotNet, Newtonsoft.Json or SSH.NET
    /// into the session, before Phoenix or after it, keeps its version and Phoenix keeps its own. .NET's
    /// own assemblies (the shared framework's) are not loaded twice: the module folder's copies of those
    /// are netstandard2.0 stand-ins, and the framework's are used when they are as new as the ones asked for.
    /// </summary>
    public sealed class PhoenixLoadContext : AssemblyLoadContext
    {
        private static readonly object Gate = new object();
        private static PhoenixLoadContext? _instance;

        private readonly string _directory;
        // Built on the first load, not at import: reading the framework's list costs import time (import_ms).
        private readonly Lazy<Dictionary<string, string>> _framework = new Lazy<Dictionary<string, string>>(FrameworkAssemblies);

        private PhoenixLoadContext(string directory)
            : base("Phoenix", isCollectible: false)
        {
            _directory = directory;
        }

        /// <summary>
        /// Sets the context up for the module in <paramref name="moduleDirectory"/>, before Phoenix.psm1 imports
        /// the cmdlets from there: once a session; again with the same folder (the module imported a second time)
        /// does nothing, and another folder is refused, as a loaded assembly cannot be replaced.
        /// </summary>
        public static void Initialize(string moduleDirectory)
        {
            var directory = Path.GetFullPath(moduleDirectory);
            lock (Gate)
            {
                if (_instance == null)
                {
                    _instance = new PhoenixLoadContext(directory);
                    Default.Resolving += ResolvePhoenixAssembly;
                }
                else if (!string.Equals(_instance._directory, directory, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"Phoenix from '{_instance._directory}' is already loaded in this PowerShell session, and a loaded module " +
                        $"cannot be unloaded. Start a new PowerShell session to import Phoenix from '{directory}'.");
                }
            }
        }

        /// <summary>Loads a library of the module folder into this context; .NET's own and unknown names fall to the default context.</summary>
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var name = assemblyName.Name;
            if (name == null || IsDefaultContextAssembly(name) ||
                (_framework.Value.TryGetValue(name, out var frameworkPath) &&
                 AssemblyName.GetAssemblyName(frameworkPath).Version >= (assemblyName.Version ?? new Version())))
            {
                return null;
            }
            var path = Path.Combine(_directory, name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        // The cmdlets and this loader stay in the default context: PowerShell binds the cmdlets' types there.
        private static bool IsDefaultContextAssembly(string name) =>
            name == "Phoenix.PowerShell" || name == "Phoenix.Loader";

        // The default context asks for Phoenix.Engine or Phoenix.Simulator when the cmdlets first need them.
        private static Assembly? ResolvePhoenixAssembly(AssemblyLoadContext context, AssemblyName assemblyName)
        {
            var instance = _instance;
            var name = assemblyName.Name;
            if (instance == null || name == null || !name.StartsWith("Phoenix.", StringComparison.Ordinal) || IsDefaultContextAssembly(name))
            {
                return null;
            }
            return File.Exists(Path.Combine(instance._directory, name + ".dll")) ? instance.LoadFromAssemblyName(assemblyName) : null;
        }

        // The assemblies of the shared framework PowerShell runs on (System.Memory, System.Buffers, ...) by name.
        private static Dictionary<string, string> FrameworkAssemblies()
        {
            var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location);
            var tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string;
            if (frameworkDir == null || tpa == null)
            {
                return names;
            }
            foreach (var path in tpa.Split(Path.PathSeparator))
            {
                if (string.Equals(Path.GetDirectoryName(path), frameworkDir, StringComparison.Ordinal))
                {
                    names[Path.GetFileNameWithoutExtension(path)] = path;
                }
            }
            return names;
        }
    }
}
