using System;

namespace Phoenix.Engine.Transport
{
    /// <summary>POSIX path handling for remote files (System.IO.Path would use the local platform's rules).</summary>
    internal static class RemotePaths
    {
        /// <summary>Checks a remote file path: not empty, no NUL, names a file (not ending in '/', '.' or '..').</summary>
        public static void ValidateFilePath(string remotePath, string parameterName)
        {
            if (remotePath == null) throw new ArgumentNullException(parameterName);
            if (remotePath.Length == 0) throw new ArgumentException("A remote path cannot be empty.", parameterName);
            if (remotePath.IndexOf('\0') >= 0) throw new ArgumentException("A remote path cannot contain a NUL character.", parameterName);
            var name = FileName(remotePath);
            if (name.Length == 0 || name == "." || name == "..")
                throw new ArgumentException($"The remote path '{remotePath}' does not name a file.", parameterName);
        }

        public static string FileName(string remotePath)
        {
            var slash = remotePath.LastIndexOf('/');
            return slash < 0 ? remotePath : remotePath.Substring(slash + 1);
        }

        /// <summary>The directory part including its trailing '/', or "" for a bare name (the login directory).</summary>
        public static string DirectoryPrefix(string remotePath)
        {
            var slash = remotePath.LastIndexOf('/');
            return slash < 0 ? "" : remotePath.Substring(0, slash + 1);
        }
    }
}
