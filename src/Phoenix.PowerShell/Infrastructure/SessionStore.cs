using System.Collections.Generic;
using System.Linq;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// The sessions of this PowerShell process and the default one. A lock guards them because
    /// runspaces (ForEach-Object -Parallel, jobs in-process) share the module's statics.
    /// </summary>
    internal static class SessionStore
    {
        private static readonly object s_lock = new object();
        private static readonly List<PhoenixSession> s_sessions = new List<PhoenixSession>();
        private static PhoenixSession? s_default;

        public static PhoenixSession? Default
        {
            get { lock (s_lock) return s_default; }
        }

        public static IReadOnlyList<PhoenixSession> All
        {
            get { lock (s_lock) return s_sessions.ToList(); }
        }

        public static void Add(PhoenixSession session, bool makeDefault)
        {
            lock (s_lock)
            {
                s_sessions.Add(session);
                if (makeDefault || s_default == null) s_default = session;
            }
        }

        public static void Remove(PhoenixSession session)
        {
            lock (s_lock)
            {
                s_sessions.Remove(session);
                if (ReferenceEquals(s_default, session)) s_default = s_sessions.LastOrDefault();
            }
        }
    }
}
