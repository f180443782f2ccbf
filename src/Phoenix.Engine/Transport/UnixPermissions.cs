using System;
using System.Runtime.InteropServices;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// chmod for local files. netstandard2.0 has no File.SetUnixFileMode, so this calls libc directly;
    /// on Windows there is nothing to do (the profile directory is private already).
    /// </summary>
    internal static class UnixPermissions
    {
        public const int OwnerOnlyFile = 0x180;      // 0600
        public const int OwnerOnlyDirectory = 0x1C0; // 0700

        public static bool TrySet(string path, int mode)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return true;
            try
            {
                return chmod(path, (uint)mode) == 0;
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return false;
            }
        }

        [DllImport("libc", SetLastError = true)]
#pragma warning disable IDE1006 // the libc name
        private static extern int chmod([MarshalAs(UnmanagedType.LPStr)] string path, uint mode);
#pragma warning restore IDE1006
    }
}
