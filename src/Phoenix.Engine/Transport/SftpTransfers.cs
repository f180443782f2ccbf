using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// The file transfers of an <see cref="SshHostConnection"/>, over its one SFTP connection: atomic uploads
    /// (a hidden temporary sibling created with the wanted mode, then renamed over the target), downloads and
    /// deletes, with SFTP failures turned into errors that name the file and the host.
    /// </summary>
    internal sealed class SftpTransfers
    {
        private readonly SshHostConnection _owner;

        public SftpTransfers(SshHostConnection owner) => _owner = owner;

        /// <summary>Writes a file atomically: a temporary sibling, the mode set before any content, then a rename over the target.</summary>
        /// <param name="remotePath">The target file; a relative path is relative to the login directory.</param>
        /// <param name="content">The bytes to write.</param>
        /// <param name="mode">POSIX permission bits, 0 to 0777 (for example <c>Convert.ToInt32("600", 8)</c>); applied before any content is written.</param>
        /// <param name="cancellationToken">Stops the transfer; the temporary file is removed.</param>
        public async Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default)
        {
            RemotePaths.ValidateFilePath(remotePath, nameof(remotePath));
            if (content == null) throw new ArgumentNullException(nameof(content));
            if (mode < 0 || mode > 0x1FF) throw new ArgumentOutOfRangeException(nameof(mode), "A file mode holds permission bits only (0 to 0777 octal).");
            _owner.ThrowIfDisposed();
            var temp = RemotePaths.TemporarySibling(remotePath);
            var what = $"the upload of {remotePath}";
            _owner.Log?.Invoke($"sftp put {ShellQuote.Quote(remotePath)} ({content.Length} bytes, mode {Convert.ToString(mode, 8).PadLeft(4, '0')})");

            var sftp = await _owner.GetSftpClientAsync(cancellationToken).ConfigureAwait(false);
            RemoveStaleTemporaries(sftp, remotePath);
            var tempExists = false;
            try
            {
                using (var stream = await sftp.OpenAsync(temp, FileMode.CreateNew, FileAccess.Write, cancellationToken).ConfigureAwait(false))
                {
                    tempExists = true;
                    // Before the content, so it is never readable with looser permissions.
                    sftp.ChangePermissions(temp, OctalDigits(mode));
                    await stream.WriteAsync(content, 0, content.Length, cancellationToken).ConfigureAwait(false);
                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                await RenameOverAsync(sftp, temp, remotePath, cancellationToken).ConfigureAwait(false);
                tempExists = false;
            }
            catch (Exception e) when (!(e is OperationCanceledException) && !(e is PhoenixException))
            {
                throw MapSftpFailure(sftp, e, remotePath, what);
            }
            finally
            {
                if (tempExists) TryDelete(sftp, temp);
            }
        }

        /// <summary>Reads a remote file; <see cref="FileNotFoundException"/> when it is not there.</summary>
        public async Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            RemotePaths.ValidateFilePath(remotePath, nameof(remotePath));
            _owner.ThrowIfDisposed();
            _owner.Log?.Invoke($"sftp get {ShellQuote.Quote(remotePath)}");
            var sftp = await _owner.GetSftpClientAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using (var stream = await sftp.OpenAsync(remotePath, FileMode.Open, FileAccess.Read, cancellationToken).ConfigureAwait(false))
                using (var buffer = new MemoryStream())
                {
                    await stream.CopyToAsync(buffer, 81920, cancellationToken).ConfigureAwait(false);
                    return buffer.ToArray();
                }
            }
            catch (SftpPathNotFoundException e)
            {
                throw new FileNotFoundException($"The file {remotePath} does not exist on {_owner.Endpoint}.", remotePath, e);
            }
            catch (Exception e) when (!(e is OperationCanceledException) && !(e is PhoenixException))
            {
                throw MapSftpFailure(sftp, e, remotePath, $"the download of {remotePath}");
            }
        }

        /// <summary>Deletes a remote file; false when it was not there.</summary>
        public async Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            RemotePaths.ValidateFilePath(remotePath, nameof(remotePath));
            _owner.ThrowIfDisposed();
            _owner.Log?.Invoke($"sftp rm {ShellQuote.Quote(remotePath)}");
            var sftp = await _owner.GetSftpClientAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await sftp.DeleteFileAsync(remotePath, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (SftpPathNotFoundException)
            {
                return false;
            }
            catch (Exception e) when (!(e is OperationCanceledException) && !(e is PhoenixException))
            {
                throw MapSftpFailure(sftp, e, remotePath, $"the removal of {remotePath}");
            }
        }

        private async Task RenameOverAsync(SftpClient sftp, string temp, string target, CancellationToken token)
        {
            try
            {
                // posix-rename@openssh.com replaces the target atomically; plain SFTP rename refuses an existing target.
                sftp.RenameFile(temp, target, isPosix: true);
            }
            catch (NotSupportedException)
            {
                var result = await _owner.RunAsync(new RemoteCommand("mv", "-f", "--", temp, target), TimeSpan.FromSeconds(60), token).ConfigureAwait(false);
                if (result.ExitCode != 0)
                    throw new PhoenixException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.UploadFailed,
                        $"Cannot move the uploaded file into place at {target} on {_owner.Endpoint} ({result.StdErr.Trim()}).", _owner.HostName)
                        .WithAdvice("Check the path and its permissions on the host.");
            }
        }

        private Exception MapSftpFailure(SftpClient sftp, Exception e, string remotePath, string what)
        {
            if (_owner.IsDisposed) return new ObjectDisposedException(nameof(SshHostConnection),
                $"The connection to {_owner.Endpoint} was closed during {what}.");
            if (_owner.IsConnectionFailure(e, sftp)) return _owner.SftpLost(sftp, what, e);
            switch (e)
            {
                case SftpPathNotFoundException _:
                    return new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.RemoteDirectoryNotFound,
                        $"Failed: {what} on {_owner.Endpoint}: the directory '{RemotePaths.DirectoryPrefix(remotePath)}' does not exist.", _owner.HostName, e)
                        .WithAdvice("Check the path, or create the directory on the host first.");
                case SftpPermissionDeniedException _:
                    return new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.PermissionDenied,
                        $"Failed: {what} on {_owner.Endpoint}: permission denied for '{_owner.UserName}'.", _owner.HostName, e)
                        .WithAdvice($"Check the permissions of the directory on the host, or connect as a user who may write there.");
                default:
                    return new PhoenixException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.TransferFailed,
                        $"Failed: {what} on {_owner.Endpoint}: {SshFailures.Cause(e)}.", _owner.HostName, e)
                        .WithAdvice("Check the path, its permissions and the free space on the host.");
            }
        }

        /// <summary>
        /// An upload cut off by a dropped connection cannot remove its temporary file, which may hold part of
        /// a snippet (with a password hash). The next upload of the same target removes such leftovers; only
        /// old ones, so a concurrent upload of the same file is left alone.
        /// </summary>
        private static void RemoveStaleTemporaries(SftpClient sftp, string remotePath)
        {
            var prefix = "." + RemotePaths.FileName(remotePath) + ".phoenix-";
            var dir = RemotePaths.DirectoryPrefix(remotePath);
            try
            {
                foreach (var f in sftp.ListDirectory(dir.Length == 0 ? "." : dir))
                {
                    if (f.Name.StartsWith(prefix, StringComparison.Ordinal) && f.Name.EndsWith(".tmp", StringComparison.Ordinal) &&
                        DateTime.UtcNow - f.LastWriteTimeUtc > TimeSpan.FromMinutes(10))
                    {
                        TryDelete(sftp, f.FullName);
                    }
                }
            }
            catch (Exception e) when (e is Renci.SshNet.Common.SshException || e is IOException)
            {
                // Cleaning up is a courtesy; the upload itself reports real problems.
            }
        }

        private static void TryDelete(SftpClient sftp, string path)
        {
            try
            {
                if (sftp.IsConnected) sftp.DeleteFile(path);
            }
            catch (Exception e) when (e is SshException || e is SocketException || e is ObjectDisposedException || e is InvalidOperationException)
            {
                // Best effort: the temporary name is hidden and unique, and a later upload does not trip over it.
            }
        }

        // SSH.NET takes a mode as the decimal number that reads like its octal form (0640 -> 640).
        private static short OctalDigits(int mode) =>
            (short)(((mode >> 6) & 7) * 100 + ((mode >> 3) & 7) * 10 + (mode & 7));
    }
}
