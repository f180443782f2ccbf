using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// What argument completion asks a host (VM list, snapshots, nodes, storages), cached briefly per session and
    /// question, and never waited for longer than <see cref="AnswerWait"/>: Tab must not hang the prompt. A question
    /// still in flight is not asked again; its answer, when it comes, serves the next Tab.
    /// </summary>
    internal static class HostAnswers
    {
        /// <summary>How long Tab waits for a host: one that has not answered by then completes nothing.</summary>
        public static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(1);

        /// <summary>How long an answer is reused (a VM created meanwhile shows up after this).</summary>
        public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(10);

        // A question the host never answers is given up after this, so the next Tab asks again.
        private static readonly TimeSpan AskLimit = TimeSpan.FromSeconds(30);

        private static readonly object s_gate = new object();
        private static readonly Dictionary<string, (Task<object> Answer, DateTime Asked)> s_answers =
            new Dictionary<string, (Task<object>, DateTime)>(StringComparer.Ordinal);

        /// <summary>
        /// The session a completion asks: the one given with -Session on the command line, else the default one;
        /// null when there is none or it was closed.
        /// </summary>
        public static PhoenixSession? SessionFor(IDictionary? fakeBoundParameters)
        {
            var bound = fakeBoundParameters != null && fakeBoundParameters.Contains("Session") ? fakeBoundParameters["Session"] : null;
            var session = (bound is PSObject p ? p.BaseObject : bound) as PhoenixSession ?? SessionStore.Default;
            return session == null || session.IsClosed ? null : session;
        }

        /// <summary>
        /// The answer to <paramref name="question"/> (a key that names it, such as <c>snapshots 201</c>) on
        /// <paramref name="session"/>, or null when the host did not answer in time or failed.
        /// </summary>
        public static T? Ask<T>(PhoenixSession session, string question, Func<ProxmoxHost, CancellationToken, Task<T>> ask) where T : class
        {
            var key = session.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + question;
            Task<object> answer;
            lock (s_gate)
            {
                var now = DateTime.UtcNow;
                if (!s_answers.TryGetValue(key, out var entry) || !Usable(entry.Answer, entry.Asked, now))
                {
                    entry = (Start(session, ask), now);
                    s_answers[key] = entry;
                }
                answer = entry.Answer;
            }
            try
            {
                if (!answer.Wait(AnswerWait)) return null;
            }
            catch (AggregateException)
            {
                return null;
            }
            return answer.Result as T;
        }

        private static bool Usable(Task<object> answer, DateTime asked, DateTime now) =>
            answer.IsCompleted ? answer.Status == TaskStatus.RanToCompletion && now - asked < Freshness : now - asked < AskLimit;

        private static Task<object> Start<T>(PhoenixSession session, Func<ProxmoxHost, CancellationToken, Task<T>> ask) where T : class =>
            Task.Run(async () =>
            {
                using var limit = new CancellationTokenSource(AskLimit);
                // No retries and no lock waits: completion wants what is there now.
                var host = new ProxmoxHost(session.Connection, RetryPolicy.NoRetry);
                return (object)await ask(host, limit.Token).ConfigureAwait(false);
            });
    }
}
