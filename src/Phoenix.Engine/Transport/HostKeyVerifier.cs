using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Phoenix.Engine.Errors;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// Decides whether a host key presented during the SSH handshake is trusted, fail-closed:
    /// a pinned fingerprint when one is given, otherwise the known_hosts file. Returns the refusal as a
    /// <see cref="PhoenixException"/> (the handshake callback cannot throw usefully through SSH.NET).
    /// </summary>
    internal sealed class HostKeyVerifier
    {
        private readonly string _host;
        private readonly int _port;
        private readonly string? _pinned;
        private readonly string _knownHostsPath;
        private readonly bool _acceptNew;
        private readonly object _appendLock = new object();

        public HostKeyVerifier(string host, int port, string? pinnedFingerprint, string knownHostsPath, bool acceptNew)
        {
            _host = host;
            _port = port;
            _pinned = pinnedFingerprint == null ? null : SshConnectionOptions.NormalizeFingerprint(pinnedFingerprint);
            _knownHostsPath = knownHostsPath;
            _acceptNew = acceptNew;
        }

        private string Endpoint => SshFailures.Endpoint(_host, _port);

        /// <summary>
        /// Null when <paramref name="hostKey"/> is trusted, else the refusal. <paramref name="sessionFingerprint"/>
        /// is the key an earlier connection of the same session accepted: a reconnect must meet the same key.
        /// </summary>
        public PhoenixException? Verify(byte[] hostKey, string? sessionFingerprint)
        {
            var fingerprint = KnownHostsFile.Fingerprint(hostKey);
            var keyType = KnownHostsFile.KeyTypeOf(hostKey);

            if (sessionFingerprint != null && sessionFingerprint != fingerprint)
                return Changed(keyType, fingerprint,
                    $"this session connected with {sessionFingerprint}", knownHostsAdvice: _pinned == null);

            if (_pinned != null)
            {
                if (fingerprint == _pinned) return null;
                return new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.HostKeyMismatch,
                    $"The host key of {Endpoint} does not match the pinned fingerprint: the host presented {keyType} {fingerprint}, " +
                    $"but {_pinned} was expected. Someone may be intercepting the connection (man-in-the-middle), or the host was reinstalled. " +
                    "Phoenix did not log in.", _host)
                    .WithAdvice($"Check the fingerprint on the host itself (ssh-keygen -lf /etc/ssh/ssh_host_{ShortType(keyType)}_key.pub). " +
                        $"Only if the host key really changed, pin the new one with -HostKeyFingerprint '{fingerprint}'.");
            }

            KnownHostsFile file;
            try
            {
                file = KnownHostsFile.Load(_knownHostsPath);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.KnownHostsUnreadable,
                    $"The host key of {Endpoint} cannot be checked: the known_hosts file {_knownHostsPath} cannot be read ({SshFailures.Cause(e)}).", _host, e)
                    .WithAdvice($"Fix the permissions of {_knownHostsPath}, or pin the key with -HostKeyFingerprint '{fingerprint}'.");
            }

            var match = file.Check(_host, _port, hostKey);
            switch (match.Status)
            {
                case KnownHostStatus.Known:
                    return null;
                case KnownHostStatus.Revoked:
                    return new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.HostKeyRevoked,
                        $"The host key of {Endpoint} ({keyType} {fingerprint}) is marked @revoked in {_knownHostsPath} line {match.Entries[0].LineNumber}. " +
                        "Phoenix refuses revoked keys.", _host)
                        .WithAdvice("Give the host a new host key, or ask whoever revoked this key why.");
                case KnownHostStatus.Changed:
                    var known = string.Join(", ", match.Entries.Select(e => $"{e.KeyType} {e.Fingerprint} (line {e.LineNumber})"));
                    return Changed(keyType, fingerprint, $"{_knownHostsPath} lists {known}", knownHostsAdvice: true);
                default:
                    return _acceptNew ? AcceptNew(hostKey, keyType, fingerprint) : Unknown(keyType, fingerprint);
            }
        }

        /// <summary>
        /// The key types known_hosts lists for this host, so the handshake can ask for one of them
        /// (as OpenSSH does); empty when the key is pinned, the host is not listed or the file is unreadable.
        /// </summary>
        public IReadOnlyCollection<string> KnownKeyTypes()
        {
            if (_pinned != null) return Array.Empty<string>();
            try
            {
                return KnownHostsFile.Load(_knownHostsPath).EntriesFor(_host, _port).Select(e => e.KeyType).Distinct().ToList();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return Array.Empty<string>();
            }
        }

        private PhoenixException? AcceptNew(byte[] hostKey, string keyType, string fingerprint)
        {
            // A reconnect (or connections in parallel) checks again; the lock and the second look keep one line per key.
            lock (_appendLock)
            {
                try
                {
                    var again = KnownHostsFile.Load(_knownHostsPath).Check(_host, _port, hostKey);
                    if (again.Status == KnownHostStatus.Known) return null;
                    if (again.Status != KnownHostStatus.Unknown) return Verify(hostKey, null);
                    KnownHostsFile.Append(_knownHostsPath, _host, _port, hostKey);
                    return null;
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    return new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.KnownHostsNotWritable,
                        $"The new host key of {Endpoint} ({keyType} {fingerprint}) cannot be added to {_knownHostsPath} ({SshFailures.Cause(e)}).", _host, e)
                        .WithAdvice($"Fix the permissions of {_knownHostsPath}, or pin the key with -HostKeyFingerprint '{fingerprint}'.");
                }
            }
        }

        private PhoenixException Unknown(string keyType, string fingerprint) =>
            new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.HostKeyUnknown,
                $"The host key of {Endpoint} is not known: the host presented {keyType} {fingerprint}, and {_knownHostsPath} does not " +
                    $"list {KnownHostsFile.HostPattern(_host, _port)}. " +
                "Phoenix does not trust a host it has not seen before.", _host)
                .WithAdvice($"Check the fingerprint on the host itself (ssh-keygen -lf /etc/ssh/ssh_host_{ShortType(keyType)}_key.pub), then " +
                    $"connect again with " +
                    $"-HostKeyFingerprint '{fingerprint}' to pin it, or with -AcceptNewHostKey to add it to {_knownHostsPath}.");

        private PhoenixException Changed(string keyType, string fingerprint, string whatWasKnown, bool knownHostsAdvice)
        {
            var removal = $"ssh-keygen -R {ShellQuote.Quote(KnownHostsFile.HostPattern(_host, _port))} -f {ShellQuote.Quote(_knownHostsPath)}";
            return new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.HostKeyChanged,
                $"The host key of {Endpoint} has CHANGED: the host presented {keyType} {fingerprint}, but {whatWasKnown}. " +
                "Someone may be intercepting the connection (man-in-the-middle), or the host was reinstalled. " +
                "Phoenix refuses a changed host key, even with -AcceptNewHostKey.", _host)
                .WithAdvice(knownHostsAdvice
                    ? $"Check the fingerprint on the host itself. Only if the change is expected, remove the old key with `{removal}` " +
                      $"and connect again with -HostKeyFingerprint '{fingerprint}' or -AcceptNewHostKey."
                    : $"Check the fingerprint on the host itself, then connect again with -HostKeyFingerprint '{fingerprint}' if the change is expected.");
        }

        // "ssh-ed25519" -> "ed25519", "ecdsa-sha2-nistp256" -> "ecdsa", "ssh-rsa" -> "rsa": the file names sshd uses.
        private static string ShortType(string keyType)
        {
            if (keyType.StartsWith("ecdsa", StringComparison.Ordinal)) return "ecdsa";
            return keyType.StartsWith("ssh-", StringComparison.Ordinal) ? keyType.Substring(4) : keyType;
        }
    }
}
