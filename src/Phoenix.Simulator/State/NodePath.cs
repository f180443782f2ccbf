using System;
using System.Collections.Generic;

namespace Phoenix.Simulator.State
{
    /// <summary>Normalises node paths and refuses anything that could leave the node (no "..").</summary>
    internal static class NodePath
    {
        public static string Normalize(string path)
        {
            if (string.IsNullOrEmpty(path) || path[0] != '/')
                throw new ArgumentException($"A node path must be absolute: '{path}'.", nameof(path));
            var parts = new List<string>();
            foreach (var part in path.Split('/'))
            {
                if (part.Length == 0 || part == ".") continue;
                if (part == "..") throw new ArgumentException($"A node path may not contain '..': '{path}'.", nameof(path));
                if (part.IndexOf('\0') >= 0) throw new ArgumentException("A node path may not contain NUL.", nameof(path));
                parts.Add(part);
            }
            return "/" + string.Join("/", parts);
        }

        public static string Combine(string dir, string name) => Normalize(dir.TrimEnd('/') + "/" + name);

        public static string Parent(string path)
        {
            var idx = path.LastIndexOf('/');
            return idx <= 0 ? "/" : path.Substring(0, idx);
        }

        public static string FileName(string path) => path.Substring(path.LastIndexOf('/') + 1);
    }
}
