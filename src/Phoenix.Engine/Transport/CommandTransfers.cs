using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// File transfers of an <see cref="SshHostConnection"/> over its command channel: the content goes to a small
    /// shell script's standard input (or, for a download, from its standard output), so every transfer shares the
    /// one SSH connection the commands use and goes through sudo like them. An upload's file is created by
    /// <c>mktemp</c> under <c>umask 077</c> (mode 0600 from its first byte, owned by whoever runs the command:
    /// root), filled, checked for its size, given its mode and renamed over the target.
    /// </summary>
    internal sealed class CommandTransfers
    {
        // Exit codes of the scripts, past what sudo, sh and the tools use for themselves.
        private const int NoDirectory = 93;
        private const int NotWritable = 94;
        private const int Failed = 95;
        private const int NotThere = 96;

        /// <summary>
        /// $1 the target, $2 the mode (octal), $3 the byte count; the content on standard input. Leftovers of a cut-off
        /// upload of the same file older than 10 minutes are removed first (a recent one may be a concurrent upload).
        /// A short read (a connection dropped mid-way) is never moved into place.
        /// </summary>
        internal const string UploadScript =
            "umask 077; f=$1; case $f in */*) d=${f%/*}/ ;; *) d= ;; esac; n=${f##*/}; " +
            "[ -d \"${d:-.}\" ] || exit 93; " +
            "case $n in *[][*?\\\\]*) ;; *) find \"${d:-.}\" -maxdepth 1 -type f -name \".$n.phoenix-*.tmp\" -mmin +10 " +
            "-exec rm -f -- {} + 2>/dev/null ;; esac; " +
            "t=$(mktemp --suffix=.tmp -- \"${d}.$n.phoenix-XXXXXXXXXXXX\") || { [ -w \"${d:-.}\" ] && exit 95; exit 94; }; " +
            "trap 'rm -f -- \"$t\"' EXIT; trap 'exit 95' HUP INT TERM; " +
            "cat > \"$t\" || exit 95; s=$(wc -c < \"$t\"); " +
            "[ $s -eq \"$3\" ] || { echo \"received $s of $3 bytes\" >&2; exit 95; }; " +
            "chmod \"$2\" -- \"$t\" && mv -fT -- \"$t\" \"$f\" || exit 95";

        /// <summary>$1 the file: its bytes on standard output, or exit 96 when it is not there.</summary>
        internal const string DownloadScript = "[ -e \"$1\" ] || exit 96; [ -d \"$1\" ] && { echo \"$1 is a directory\" >&2; exit 95; }; exec cat -- \"$1\"";

        /// <summary>
        /// Each argument a file: a line <c>-</c> when it is not there, else a line with its byte count and then exactly that
        /// many bytes. The count and the bytes come from one open of the file, so a file renamed over meanwhile is read whole,
        /// old or new. Exit 95 for a directory or a file that cannot be read.
        /// </summary>
        internal const string ReadFilesScript =
            "for f do if [ ! -e \"$f\" ]; then echo -; elif [ -d \"$f\" ]; then echo \"$f is a directory\" >&2; exit 95; " +
            "else exec 3< \"$f\" || exit 95; n=$(wc -c < /dev/fd/3) || exit 95; echo $n; head -c $n <&3 || exit 95; exec 3<&-; fi; done";

        /// <summary>$1 the file: removed, or exit 96 when it was not there.</summary>
        internal const string DeleteScript = "[ -e \"$1\" ] || [ -L \"$1\" ] || exit 96; rm -f -- \"$1\" || exit 95";

        private static readonly TimeSpan TransferTimeout = TimeSpan.FromMinutes(10);

        private readonly SshHostConnection _owner;

        public CommandTransfers(SshHostConnection owner) => _owner = owner;

        /// <summary>Writes a file atomically, created 0600 and given <paramref name="mode"/> once its content is complete.</summary>
        public async Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken)
        {
            RemotePaths.ValidateFilePath(remotePath, nameof(remotePath));
            if (content == null) throw new ArgumentNullException(nameof(content));
            if (mode < 0 || mode > 0x1FF) throw new ArgumentOutOfRangeException(nameof(mode), "A file mode holds permission bits only (0 to 0777 octal).");
            var octal = "0" + Convert.ToString(mode, 8).PadLeft(3, '0');
            var what = $"the upload of {remotePath}";
            _owner.Log?.Invoke($"upload {ShellQuote.Quote(remotePath)} ({content.Length} bytes, mode {octal})");
            var command = new RemoteCommand("sh", "-c", UploadScript, "phoenix-upload", remotePath, octal,
                content.Length.ToString(CultureInfo.InvariantCulture))
            { StandardInput = content, StandardInputIsSecret = true };
            var r = await _owner.RunQuietAsync(command, what, TransferTimeout, cancellationToken).ConfigureAwait(false);
            if (r.ExitCode != 0) throw Failure(r.ExitCode, Encoding.UTF8.GetString(r.StdErr), remotePath, what);
        }

        /// <summary>Reads a file; <see cref="FileNotFoundException"/> when it is not there.</summary>
        public async Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken)
        {
            RemotePaths.ValidateFilePath(remotePath, nameof(remotePath));
            var what = $"the download of {remotePath}";
            _owner.Log?.Invoke($"download {ShellQuote.Quote(remotePath)}");
            var r = await _owner.RunQuietAsync(new RemoteCommand("sh", "-c", DownloadScript, "phoenix-download", remotePath), what, TransferTimeout,
                cancellationToken).ConfigureAwait(false);
            if (r.ExitCode == NotThere) throw new FileNotFoundException($"The file {remotePath} does not exist on {_owner.Endpoint}.", remotePath);
            if (r.ExitCode != 0) throw Failure(r.ExitCode, Encoding.UTF8.GetString(r.StdErr), remotePath, what);
            return r.StdOut;
        }

        /// <summary>Reads several files in one command; null for each that is not there.</summary>
        public async Task<IReadOnlyList<byte[]?>> ReadFilesAsync(IReadOnlyList<string> remotePaths, CancellationToken cancellationToken)
        {
            foreach (var p in remotePaths) RemotePaths.ValidateFilePath(p, nameof(remotePaths));
            var what = $"the download of {string.Join(", ", remotePaths)}";
            foreach (var p in remotePaths) _owner.Log?.Invoke($"download {ShellQuote.Quote(p)}");
            var r = await _owner.RunQuietAsync(new RemoteCommand("sh", new[] { "-c", ReadFilesScript, "phoenix-download" }.Concat(remotePaths).ToArray()),
                what, TransferTimeout, cancellationToken).ConfigureAwait(false);
            if (r.ExitCode != 0) throw Failure(r.ExitCode, Encoding.UTF8.GetString(r.StdErr), remotePaths[0], what);
            return ParseFiles(r.StdOut, remotePaths.Count) ?? throw Failure(Failed, "its answer was cut short", remotePaths[0], what);
        }

        /// <summary>The answer of <see cref="ReadFilesScript"/> for <paramref name="count"/> files; null when it does not hold them all.</summary>
        internal static IReadOnlyList<byte[]?>? ParseFiles(byte[] output, int count)
        {
            var files = new List<byte[]?>(count);
            var at = 0;
            while (files.Count < count)
            {
                var end = Array.IndexOf(output, (byte)'\n', at);
                if (end < 0) return null;
                var head = Encoding.ASCII.GetString(output, at, end - at);
                at = end + 1;
                if (head == "-") { files.Add(null); continue; }
                if (!int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > output.Length - at) return null;
                var bytes = new byte[n];
                Buffer.BlockCopy(output, at, bytes, 0, n);
                files.Add(bytes);
                at += n;
            }
            return at == output.Length ? files : null;
        }

        /// <summary>Deletes a file; false when it was not there.</summary>
        public async Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken)
        {
            RemotePaths.ValidateFilePath(remotePath, nameof(remotePath));
            var what = $"the removal of {remotePath}";
            _owner.Log?.Invoke($"delete {ShellQuote.Quote(remotePath)}");
            var r = await _owner.RunQuietAsync(new RemoteCommand("sh", "-c", DeleteScript, "phoenix-delete", remotePath), what, TransferTimeout,
                cancellationToken).ConfigureAwait(false);
            if (r.ExitCode == NotThere) return false;
            if (r.ExitCode != 0) throw Failure(r.ExitCode, Encoding.UTF8.GetString(r.StdErr), remotePath, what);
            return true;
        }

        private PhoenixException Failure(int exitCode, string stderr, string remotePath, string what)
        {
            switch (exitCode)
            {
                case NoDirectory:
                    return new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.RemoteDirectoryNotFound,
                        $"Failed: {what} on {_owner.Endpoint}: the directory '{RemotePaths.DirectoryPrefix(remotePath)}' does not exist.", _owner.HostName)
                        .WithAdvice("Check the path, or create the directory on the host first.");
                case NotWritable:
                    return new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.PermissionDenied,
                        $"Failed: {what} on {_owner.Endpoint}: permission denied for '{_owner.UserName}'.", _owner.HostName)
                        .WithAdvice("Check the permissions of the directory on the host, or connect as a user who may write there (or use -UseSudo).");
                default:
                    var cause = stderr.Trim();
                    return new PhoenixException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.TransferFailed,
                        $"Failed: {what} on {_owner.Endpoint}: {(cause.Length > 0 ? cause : "exit code " + exitCode.ToString(CultureInfo.InvariantCulture))}.",
                        _owner.HostName)
                        .WithAdvice("Check the path, its permissions and the free space on the host.");
            }
        }
    }
}
