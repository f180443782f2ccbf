using System;
using System.Globalization;
using System.Net.Sockets;
using Phoenix.Engine.Errors;
using Renci.SshNet.Common;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// Turns what SSH.NET and the socket layer throw into <see cref="PhoenixException"/>s that say which
    /// host, what failed and what to do. Kept apart from the connection so it can be tested without a server.
    /// </summary>
    internal static class SshFailures
    {
        /// <summary><c>host:port</c>, with brackets around IPv6 addresses.</summary>
        public static string Endpoint(string host, int port) =>
            host.IndexOf(':') >= 0 && !host.StartsWith("[", StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

        public static PhoenixException ConnectFailed(Exception error, string host, int port, string user, string authDescription, TimeSpan timeout)
        {
            var endpoint = Endpoint(host, port);
            var socket = FindSocketException(error);
            if (socket != null)
            {
                switch (socket.SocketErrorCode)
                {
                    case SocketError.HostNotFound:
                    case SocketError.TryAgain:
                    case SocketError.NoData:
                        return new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.HostNotFound,
                            $"Cannot connect to {endpoint}: the host name '{host}' could not be resolved ({Cause(socket)}).", host, error)
                            .WithAdvice($"Check the spelling of '{host}' and the DNS settings of this machine, or give the host's IP address.");
                    case SocketError.ConnectionRefused:
                        return new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.ConnectionRefused,
                            $"Cannot connect to {endpoint}: the connection was refused. No SSH server listens on port {port} there, or a firewall " +
                                $"rejects the connection.", host, error)
                            .WithAdvice($"Check that sshd runs on {host} and listens on port {port} (-Port), and that no firewall rejects it.");
                    case SocketError.TimedOut:
                        return TimedOut(host, port, timeout, error);
                    case SocketError.HostUnreachable:
                    case SocketError.NetworkUnreachable:
                    case SocketError.HostDown:
                        return new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.HostUnreachable,
                            $"Cannot connect to {endpoint}: there is no route to the host ({Cause(socket)}).", host, error)
                            .WithAdvice($"Check that {host} is up and that this machine can reach its network (routing, VPN).");
                }
            }

            switch (error)
            {
                case SshOperationTimeoutException _:
                    return TimedOut(host, port, timeout, error);
                case SshAuthenticationException _:
                    return new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.AuthenticationFailed,
                        $"Authentication to {endpoint} as '{user}' failed: the server did not accept {authDescription} ({Cause(error)}).", host, error)
                        .WithAdvice($"Check the user name (-UserName), and that the public key is in ~{user}/.ssh/authorized_keys on {host} " +
                            "(ssh-copy-id does that), or give the right key with -KeyFile or a password with -Credential.");
            }

            return new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.ConnectionFailed,
                $"Cannot connect to {endpoint}: {Cause(error)}.", host, error)
                .WithAdvice($"Check that {endpoint} is an SSH server and that 'ssh -p {port} {user}@{host}' works from this machine.");
        }

        public static PhoenixException TimedOut(string host, int port, TimeSpan timeout, Exception? error) =>
            new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.ConnectionTimedOut,
                $"Cannot connect to {Endpoint(host, port)}: no complete SSH answer within {FormatDuration(timeout)}. " +
                "The host may be down, a firewall may drop the packets, or something other than an SSH server listens on that port.", host, error)
                .WithAdvice($"Check that {host} is up and reachable from this machine on port {port}, or allow more time (ConnectTimeout).");

        public static PhoenixException ConnectionLost(string host, int port, string what, Exception error) =>
            new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.ConnectionLost,
                $"The connection to {Endpoint(host, port)} was lost during {what} ({Cause(error)}). " +
                "It may or may not have completed on the host. The next call reconnects.", host, error)
                .WithAdvice($"Check {host} and the network, look at the host's state, then run the operation again.");

        /// <summary>
        /// Ends the message with what to do and sets <see cref="PhoenixException.RecommendedAction"/> to it:
        /// PowerShell's default error view shows the message only, and the advice matters most there.
        /// </summary>
        public static PhoenixException WithAdvice(this PhoenixException e, string advice) =>
            new PhoenixException(e.Kind, e.Reason, e.Message + " " + advice, e.Target, e.InnerException)
            {
                RecommendedAction = advice,
            };

        /// <summary>An inner message fit to sit in parentheses inside a sentence.</summary>
        public static string Cause(Exception e) => e.Message.Trim().TrimEnd('.');

        public static string FormatDuration(TimeSpan t)
        {
            if (t.TotalSeconds < 1) return $"{(int)t.TotalMilliseconds} ms";
            if (t.TotalSeconds == Math.Floor(t.TotalSeconds)) return $"{(long)t.TotalSeconds} s";
            return t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
        }

        private static SocketException? FindSocketException(Exception? e)
        {
            for (; e != null; e = e.InnerException)
            {
                if (e is SocketException s) return s;
                if (e is AggregateException a && a.InnerExceptions.Count == 1) return FindSocketException(a.InnerExceptions[0]);
            }
            return null;
        }
    }
}
