using System.Runtime.CompilerServices;

namespace Phoenix.Engine.CloudInit
{
    /// <summary>
    /// Rendering cloud-init runs once per VM, thousands of times in a row (ConvertTo-PhoenixCloudInit over a fleet). Its
    /// methods are compiled optimized at their first call instead of running unoptimized until the runtime's tiering
    /// recompiles them, which in a busy pwsh (the runtime waits for a pause in new compilations) takes seconds.
    /// </summary>
    internal static class HotPath
    {
        /// <summary>MethodImplOptions.AggressiveOptimization (512), which netstandard2.0 does not name; the runtime honours it.</summary>
        public const MethodImplOptions Optimized = (MethodImplOptions)512;
    }
}
