using System;
using System.Threading;
using System.Threading.Tasks;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// A connection to one Proxmox VE host. One instance per host is shared by every command and
    /// transfer of a session, so implementations must be safe for concurrent calls.
    /// </summary>
    public interface IHostConnection : IDisposable
    {
        /// <summary>The host name or address the connection was made to.</summary>
        string HostName { get; }

        /// <summary>The TCP port (22 by default; 0 for the in-process simulator).</summary>
        int Port { get; }

        /// <summary>The remote user.</summary>
        string UserName { get; }

        /// <summary>The host key fingerprint in the form `SHA256:base64` (null for the in-process simulator).</summary>
        string? HostKeyFingerprint { get; }

        /// <summary>True while the connection can run commands.</summary>
        bool IsConnected { get; }

        /// <summary>What the host can do (<see cref="HostCapabilities.Full"/> for a real Proxmox VE node).</summary>
        HostCapabilities Capabilities { get; }

        /// <summary>
        /// Runs one command. The command line is built from <paramref name="command"/>'s arguments
        /// by <see cref="ShellQuote"/>, the only place that quotes for a shell.
        /// Cancelling <paramref name="cancellationToken"/> or passing <paramref name="timeout"/>
        /// stops waiting and throws <see cref="OperationCanceledException"/> or <see cref="TimeoutException"/>.
        /// </summary>
        Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

        /// <summary>
        /// Writes <paramref name="content"/> to <paramref name="remotePath"/> atomically: a temporary
        /// name in the same directory, the mode applied, then a rename over the target.
        /// <paramref name="mode"/> holds POSIX permission bits as a number, 0 to 0777 octal
        /// (C# has no octal literals: write <c>Convert.ToInt32("640", 8)</c> or <c>0x1A0</c>, not <c>640</c>).
        /// </summary>
        Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default);

        /// <summary>Reads a remote file. Throws <see cref="System.IO.FileNotFoundException"/> when it does not exist.</summary>
        Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default);

        /// <summary>Deletes a remote file; a file that is not there is no error. Returns true when one was deleted.</summary>
        Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default);
    }
}
