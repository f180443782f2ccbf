using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Phoenix.Engine.Errors;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// The private keys a connection logs in with, loaded from <see cref="SshConnectionOptions"/>: the one place
    /// Phoenix finds the default keys (<see cref="DefaultKeyNames"/>) and turns key-file problems (missing,
    /// unreadable, encrypted without a passphrase, a wrong passphrase, not a key) into errors that say which.
    /// </summary>
    internal static class SshKeys
    {
        /// <summary>The user's usual keys, tried in this order when no key file and no password are given.</summary>
        public static readonly IReadOnlyList<string> DefaultKeyNames = new[] { "id_ed25519", "id_ecdsa", "id_rsa" };

        /// <summary>Full paths of <see cref="DefaultKeyNames"/> in the current user's ~/.ssh.</summary>
        public static IReadOnlyList<string> DefaultKeyPaths()
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return DefaultKeyNames.Select(n => Path.Combine(home, ".ssh", n)).ToList();
        }

        /// <summary>
        /// The keys to log in with: <see cref="SshConnectionOptions.KeyFile"/> when given (its errors are the user's to
        /// see), none when only a password is given, else every default key that opens, with
        /// <see cref="SshConnectionOptions.KeyPassphrase"/> for an encrypted one, as ssh does without an agent; a
        /// default key that does not open is passed over. <paramref name="description"/> says which, for errors.
        /// </summary>
        /// <exception cref="PhoenixException">KeyFileInvalid for a given key that cannot be used; NoCredential when nothing can.</exception>
        public static IReadOnlyList<PrivateKeyFile> Load(SshConnectionOptions o, out string description)
        {
            var endpoint = SshFailures.Endpoint(o.HostName, o.Port);
            if (o.KeyFile != null)
            {
                var path = ExpandHome(o.KeyFile);
                description = $"the key {path}" + (o.Password != null ? " or the password" : "");
                return new[] { LoadKey(path, o.KeyPassphrase, endpoint, o.HostName) };
            }
            if (o.Password != null)
            {
                description = "the password";
                return Array.Empty<PrivateKeyFile>();
            }

            var candidates = DefaultKeyPaths();
            var keys = new List<PrivateKeyFile>();
            var used = new List<string>();
            foreach (var path in candidates.Where(File.Exists))
            {
                try
                {
                    keys.Add(LoadKey(path, o.KeyPassphrase, endpoint, o.HostName));
                    used.Add(path);
                }
                catch (PhoenixException)
                {
                    // A default key that needs a passphrase or is broken is skipped, as ssh does without an agent.
                }
            }
            if (keys.Count == 0)
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.NoCredential,
                    $"No way to log in to {endpoint} as '{o.UserName}': no key file and no password were given, and none " +
                        $"of {string.Join(", ", candidates)} could be used.",
                    o.HostName)
                    .WithAdvice("Give a private key with -KeyFile (and -KeyPassphrase if it has one), or a password with -Credential.");
            description = "the default keys " + string.Join(", ", used);
            return keys;
        }

        private static PrivateKeyFile LoadKey(string path, string? passphrase, string endpoint, string host)
        {
            PhoenixException Invalid(string why, string action, Exception? inner) =>
                new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.KeyFileInvalid,
                    $"The private key file {path} cannot be used to connect to {endpoint}: {why}", host, inner)
                    .WithAdvice(action);

            if (!File.Exists(path))
                throw Invalid("it does not exist.", "Check the path given with -KeyFile.", null);
            try
            {
                return passphrase == null ? new PrivateKeyFile(path) : new PrivateKeyFile(path, passphrase);
            }
            catch (SshPassPhraseNullOrEmptyException e)
            {
                throw Invalid("it is protected by a passphrase and none was given.", "Give the passphrase with -KeyPassphrase.", e);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw Invalid($"it cannot be read ({SshFailures.Cause(e)}).", "Check the file's permissions.", e);
            }
            catch (Exception e) when (passphrase != null && LooksLikeWrongPassphrase(e))
            {
                throw Invalid("the passphrase is wrong.", "Check the passphrase given with -KeyPassphrase.", e);
            }
            catch (Exception e) when (e is SshException || e is ArgumentException || e is FormatException || e is NotSupportedException
                || e is System.Security.Cryptography.CryptographicException)
            {
                throw Invalid($"it is not a private key Phoenix can read ({SshFailures.Cause(e)}).",
                    "Give the private key (not the .pub file), in OpenSSH, PEM or PuTTY format.", e);
            }
        }

        // SSH.NET has no exception type for a wrong passphrase: an OpenSSH key reports that its check
        // bytes differ, PEM keys fail at padding or decryption.
        private static bool LooksLikeWrongPassphrase(Exception e) =>
            new[] { "passphrase", "check bytes", "padding", "decrypt" }.Any(w => e.Message.IndexOf(w, StringComparison.OrdinalIgnoreCase) >= 0);

        /// <summary><c>~</c> and <c>~/...</c> as the current user's home, as OpenSSH reads them.</summary>
        public static string ExpandHome(string path)
        {
            if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
                return Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path.Substring(1);
            return path;
        }
    }
}
