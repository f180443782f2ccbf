using System;
using System.Collections.Generic;
using System.IO;
using Phoenix.Engine.Errors;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// How to reach and trust one host over SSH. Give a <see cref="KeyFile"/> or a <see cref="Password"/>;
    /// with neither, the usual default keys (<c>~/.ssh/id_ed25519</c>, <c>id_ecdsa</c>, <c>id_rsa</c>) are
    /// tried. The host key is checked against <see cref="HostKeyFingerprint"/> when set, otherwise
    /// against <see cref="KnownHostsPath"/>. <see cref="ToString"/> never shows a secret.
    /// </summary>
    public sealed class SshConnectionOptions
    {
        /// <summary>The host name or address.</summary>
        public string HostName { get; set; } = "";

        /// <summary>The TCP port.</summary>
        public int Port { get; set; } = 22;

        /// <summary>The remote user.</summary>
        public string UserName { get; set; } = "root";

        /// <summary>A private key file (OpenSSH format, also PEM or PuTTY), or null.</summary>
        public string? KeyFile { get; set; }

        /// <summary>The passphrase of <see cref="KeyFile"/>, or null. A secret.</summary>
        public string? KeyPassphrase { get; set; }

        /// <summary>A password, or null. A secret.</summary>
        public string? Password { get; set; }

        /// <summary>
        /// The expected host key fingerprint as <c>ssh-keygen -lf</c> prints it (<c>SHA256:base64</c>);
        /// the <c>SHA256:</c> prefix and trailing <c>=</c> padding are optional. When set, known_hosts is not consulted.
        /// </summary>
        public string? HostKeyFingerprint { get; set; }

        /// <summary>The known_hosts file (default <c>~/.ssh/known_hosts</c>).</summary>
        public string KnownHostsPath { get; set; } = DefaultKnownHostsPath;

        /// <summary>
        /// Like OpenSSH's <c>StrictHostKeyChecking accept-new</c>: a host that known_hosts does not list
        /// is trusted and added to it. A host listed with another key is still refused.
        /// </summary>
        public bool AcceptNewHostKey { get; set; }

        /// <summary>
        /// Run every host command through <c>sudo -n</c>, for a login user who is not root (many sites forbid root logins
        /// over SSH). Files are then written, read and deleted through sudo as well (they always go over the command channel), and a
        /// sudo that wants a password or refuses is an error naming the command (<c>SudoRefused</c>).
        /// </summary>
        public bool UseSudo { get; set; }

        /// <summary>How long to wait for the TCP connection, the SSH handshake and authentication.</summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

        /// <summary><c>~/.ssh/known_hosts</c> of the current user.</summary>
        public static string DefaultKnownHostsPath =>
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

        /// <summary>
        /// Brings a fingerprint to the form <c>SHA256:base64</c> without padding, accepting it with or
        /// without the prefix (any case) and padding.
        /// </summary>
        /// <exception cref="ArgumentException">Not a SHA256 fingerprint (an MD5 one, for example); the message is meant for the user.</exception>
        public static string NormalizeFingerprint(string fingerprint)
        {
            if (fingerprint == null) throw new ArgumentNullException(nameof(fingerprint));
            var f = fingerprint.Trim();
            if (f.StartsWith("SHA256:", StringComparison.OrdinalIgnoreCase)) f = f.Substring(7);
            f = f.TrimEnd('=');
            if (f.StartsWith("MD5:", StringComparison.OrdinalIgnoreCase) || System.Text.RegularExpressions.Regex.IsMatch(f,
                "^([0-9a-fA-F]{2}:){15}[0-9a-fA-F]{2}$"))
                throw new ArgumentException(
                    $"'{fingerprint}' is an MD5 fingerprint; give the SHA256 one that 'ssh-keygen -lf <key>.pub' prints (SHA256:...).");
            byte[] hash;
            try
            {
                hash = Convert.FromBase64String(f + "=");
            }
            catch (FormatException)
            {
                hash = Array.Empty<byte>();
            }
            if (f.Length != 43 || hash.Length != 32)
                throw new ArgumentException(
                    $"'{fingerprint}' is not a SHA256 host key fingerprint; expected the form 'SHA256:' followed by 43 base64 characters, as " +
                        $"'ssh-keygen -lf <key>.pub' prints it.");
            return "SHA256:" + f;
        }

        /// <summary>
        /// A checked copy to connect with: host, port, user and timeout present and in range, the fingerprint
        /// normalized, <c>~</c> expanded. The caller's object is not changed.
        /// </summary>
        /// <exception cref="PhoenixException">InvalidHostName, InvalidPort, InvalidUserName, InvalidTimeout or InvalidHostKeyFingerprint.</exception>
        internal SshConnectionOptions Validated()
        {
            var o = Clone();
            PhoenixException Invalid(string reason, string message) =>
                new PhoenixException(PhoenixErrorKind.InvalidArgument, reason, message, o.HostName);

            if (string.IsNullOrWhiteSpace(o.HostName)) throw Invalid(ErrorIds.InvalidHostName, "A host name or address is needed to connect.");
            o.HostName = o.HostName.Trim();
            if (o.Port < 1 || o.Port > 65535) throw Invalid(ErrorIds.InvalidPort, $"The port {o.Port} is not a TCP port (1 to 65535).");
            if (string.IsNullOrWhiteSpace(o.UserName)) throw Invalid(ErrorIds.InvalidUserName, "A user name is needed to connect.");
            if (o.ConnectTimeout <= TimeSpan.Zero) throw Invalid(ErrorIds.InvalidTimeout, "The connect timeout must be positive.");
            if (string.IsNullOrWhiteSpace(o.KnownHostsPath)) o.KnownHostsPath = DefaultKnownHostsPath;
            o.KnownHostsPath = SshKeys.ExpandHome(o.KnownHostsPath);
            if (string.IsNullOrWhiteSpace(o.HostKeyFingerprint))
            {
                o.HostKeyFingerprint = null;
            }
            else
            {
                try
                {
                    o.HostKeyFingerprint = NormalizeFingerprint(o.HostKeyFingerprint!);
                }
                catch (ArgumentException e)
                {
                    throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidHostKeyFingerprint, e.Message, o.HostName, e);
                }
            }
            if (string.IsNullOrEmpty(o.KeyFile)) o.KeyFile = null;
            return o;
        }

        /// <summary>A shallow copy, so a connection is not affected by later changes to the caller's object.</summary>
        public SshConnectionOptions Clone() => (SshConnectionOptions)MemberwiseClone();

        /// <summary>For example <c>root@pve1:22 (key ~/.ssh/id_ed25519 with passphrase, pinned SHA256:...)</c>; secrets are never shown.</summary>
        public override string ToString()
        {
            var parts = new List<string>();
            if (KeyFile != null) parts.Add("key " + KeyFile + (KeyPassphrase != null ? " with passphrase" : ""));
            if (Password != null) parts.Add("password");
            if (KeyFile == null && Password == null) parts.Add("default keys");
            if (UseSudo) parts.Add("sudo");
            if (!string.IsNullOrWhiteSpace(HostKeyFingerprint)) parts.Add("pinned " + HostKeyFingerprint!.Trim());
            else parts.Add("known_hosts " + KnownHostsPath + (AcceptNewHostKey ? ", accept new" : ""));
            var host = HostName.IndexOf(':') >= 0 ? $"[{HostName}]" : HostName;
            return $"{UserName}@{host}:{Port} ({string.Join(", ", parts)})";
        }
    }
}
