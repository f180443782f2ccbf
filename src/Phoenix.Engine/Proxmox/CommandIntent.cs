using System.Runtime.CompilerServices;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>
    /// Marks commands that only read. <see cref="PlanRecorder"/> runs marked commands for real and
    /// records every other one without running it, so a builder that forgets to mark a read makes
    /// -WhatIf show one command too many, never run one too many.
    /// </summary>
    public static class CommandIntent
    {
        private static readonly object Marker = new object();

        // Keyed by instance, not by text: two identical command lines can have different intents
        // only in theory, but a weak table also keeps RemoteCommand free of Proxmox knowledge.
        private static readonly ConditionalWeakTable<RemoteCommand, object> ReadOnlyCommands = new ConditionalWeakTable<RemoteCommand, object>();

        /// <summary>Declares that <paramref name="command"/> changes nothing on the host or in a guest.</summary>
        public static RemoteCommand MarkReadOnly(RemoteCommand command)
        {
            ReadOnlyCommands.GetValue(command, _ => Marker);
            return command;
        }

        /// <summary>True when <paramref name="command"/> was declared read-only by its builder.</summary>
        public static bool IsReadOnly(RemoteCommand command) => ReadOnlyCommands.TryGetValue(command, out _);
    }
}
