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
    /// The downloads and deletes of an <see cref="SshHostConnection"/>, over its one SFTP connection, with SFTP
    /// failures turned into errors that name the file and the host. Uploads go over the command channel
    /// (<see cref="CommandTransfers"/>), where the file can be created 0600 from its first byte.
    /// </summary>
    internal sealed class SftpTransfers
    {
        private readonly SshHostConnection _owner;

        public SftpTransfers(SshHostConnection owner) => _owner = owner;

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
    }
}
