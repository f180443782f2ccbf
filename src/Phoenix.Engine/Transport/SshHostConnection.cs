using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// <see cref="IHostConnection"/> over SSH (SSH.NET). One SSH connection carries every command (each
    /// on its own channel, so calls may run in parallel) and one SFTP connection every transfer; both
    /// are opened once and reused. Host keys are verified fail-closed (see <see cref="SshConnectionOptions"/>).
    /// A connection that drops fails the calls in flight with Reason <c>ConnectionLost</c>; the next call
    /// reconnects once, and must meet the same host key as before.
    /// </summary>
    public sealed class SshHostConnection : IHostConnection
    {
        // Below OpenSSH's default MaxSessions (10) and SSH.NET's own channel limit (10), whose wait
        // blocks a thread; queueing here instead keeps the waiting asynchronous.
        private const int MaxParallelCommands = 8;

        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

        // Per SFTP request, not per transfer: only a host that stopped answering gets near it.
        private static readonly TimeSpan SftpOperationTimeout = TimeSpan.FromSeconds(60);

        private readonly SshConnectionOptions _options;
        private readonly HostKeyVerifier _verifier;
        private readonly IReadOnlyList<PrivateKeyFile> _keys;
        private readonly string _authDescription;
        private readonly SemaphoreSlim _commandGate = new SemaphoreSlim(MaxParallelCommands, MaxParallelCommands);
        private readonly ClientSlot<SshClient> _ssh = new ClientSlot<SshClient>("ssh");
        private readonly ClientSlot<SftpClient> _sftp = new ClientSlot<SftpClient>("sftp");
        private int _connectionsOpened;
        private volatile string? _fingerprint;
        private volatile string? _keyType;
        private volatile bool _disposed;

        private SshHostConnection(SshConnectionOptions options, HostKeyVerifier verifier, IReadOnlyList<PrivateKeyFile> keys, string authDescription)
        {
            _options = options;
            _verifier = verifier;
            _keys = keys;
            _authDescription = authDescription;
        }

        /// <inheritdoc />
        public string HostName => _options.HostName;

        /// <inheritdoc />
        public int Port => _options.Port;

        /// <inheritdoc />
        public string UserName => _options.UserName;

        /// <inheritdoc />
        public string? HostKeyFingerprint => _fingerprint;

        /// <summary>The type of the verified host key, for example <c>ssh-ed25519</c>.</summary>
        public string? HostKeyType => _keyType;

        /// <summary>
        /// How many SSH connections this object has opened so far: the command connection, the SFTP
        /// connection and every reconnect each count one. A read-only statistic (the benchmark reports it).
        /// </summary>
        public int ConnectionsOpened => Volatile.Read(ref _connectionsOpened);

        /// <inheritdoc />
        public bool IsConnected => !_disposed && _ssh.Client?.IsConnected == true;

        /// <summary>
        /// Called before each command with its <see cref="RemoteCommand.ToDisplayString"/> (secrets
        /// redacted, stdin shown only as a length), and before each transfer and reconnect with a
        /// one-line description. The cmdlets send it to the Verbose stream. It may be called from any thread.
        /// </summary>
        public Action<string>? Log { get; set; }

        private string Endpoint => SshFailures.Endpoint(HostName, Port);

        /// <summary>
        /// Connects, verifies the host key and authenticates. The SFTP connection is opened at the first
        /// transfer. Failures are <see cref="PhoenixException"/>s whose Reason is one of HostNotFound,
        /// ConnectionRefused, ConnectionTimedOut, HostUnreachable, ConnectionFailed, AuthenticationFailed,
        /// HostKeyUnknown, HostKeyMismatch, HostKeyChanged, HostKeyRevoked, KnownHostsUnreadable,
        /// KnownHostsNotWritable, KeyFileInvalid, NoCredential or InvalidArgument.
        /// </summary>
        public static async Task<SshHostConnection> ConnectAsync(SshConnectionOptions options, CancellationToken cancellationToken = default)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            var o = Validate(options.Clone());
            var verifier = new HostKeyVerifier(o.HostName, o.Port, o.HostKeyFingerprint, o.KnownHostsPath, o.AcceptNewHostKey);
            var keys = LoadKeys(o, out var authDescription);
            var connection = new SshHostConnection(o, verifier, keys, authDescription);
            try
            {
                await connection.GetSshClientAsync(cancellationToken).ConfigureAwait(false);
                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <inheritdoc />
        /// <remarks>
        /// The timeout counts from the call, so it includes waiting for a free channel (at most eight
        /// commands run at once per connection) and a reconnect. On timeout or cancellation the command's
        /// process group on the host is sent SIGTERM before the exception is thrown.
        /// </remarks>
        public async Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (command == null) throw new ArgumentNullException(nameof(command));
            if (timeout.HasValue && timeout.Value <= TimeSpan.Zero && timeout.Value != Timeout.InfiniteTimeSpan)
                throw new ArgumentOutOfRangeException(nameof(timeout), "A command timeout must be positive.");
            ThrowIfDisposed();
            var runId = NewRunId();
            var text = WrapForLoginShell(command.ToShellString(), runId, command.StandardInput != null && command.StandardInput.Length > 0);
            var display = command.ToDisplayString();
            Log?.Invoke(display);

            using (var timeoutSource = new CancellationTokenSource())
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token))
            {
                if (timeout.HasValue && timeout.Value != Timeout.InfiniteTimeSpan) timeoutSource.CancelAfter(timeout.Value);
                try
                {
                    await _commandGate.WaitAsync(linked.Token).ConfigureAwait(false);
                    try
                    {
                        var client = await GetSshClientAsync(linked.Token).ConfigureAwait(false);
                        return await ExecuteAsync(client, text, command.StandardInput, display, runId, linked.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        _commandGate.Release();
                    }
                }
                catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(
                        $"Cancelled: {display} on {Endpoint}. Phoenix stopped waiting and asked the host to stop the command (SIGTERM).", e, cancellationToken);
                }
                catch (OperationCanceledException e) when (timeoutSource.IsCancellationRequested)
                {
                    throw new TimeoutException(
                        $"Timed out after {SshFailures.FormatDuration(timeout!.Value)}: {display} on {Endpoint}. " +
                        "Phoenix stopped waiting and asked the host to stop the command (SIGTERM).", e);
                }
            }
        }

        /// <inheritdoc />
        /// <param name="remotePath">The target file; a relative path is relative to the login directory.</param>
        /// <param name="content">The bytes to write.</param>
        /// <param name="mode">POSIX permission bits, 0 to 0777 (for example <c>Convert.ToInt32("600", 8)</c>); applied before any content is written.</param>
        /// <param name="cancellationToken">Stops the transfer; the temporary file is removed.</param>
        public async Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default)
        {
            RemotePaths.ValidateFilePath(remotePath, nameof(remotePath));
            if (content == null) throw new ArgumentNullException(nameof(content));
            if (mode < 0 || mode > 0x1FF) throw new ArgumentOutOfRangeException(nameof(mode), "A file mode holds permission bits only (0 to 0777 octal).");
            ThrowIfDisposed();
            var temp = RemotePaths.TemporarySibling(remotePath);
            var what = $"the upload of {remotePath}";
            Log?.Invoke($"sftp put {ShellQuote.Quote(remotePath)} ({content.Length} bytes, mode {Convert.ToString(mode, 8).PadLeft(4, '0')})");

            var sftp = await GetSftpClientAsync(cancellationToken).ConfigureAwait(false);
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

        /// <inheritdoc />
        public async Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            RemotePaths.ValidateFilePath(remotePath, nameof(remotePath));
            ThrowIfDisposed();
            Log?.Invoke($"sftp get {ShellQuote.Quote(remotePath)}");
            var sftp = await GetSftpClientAsync(cancellationToken).ConfigureAwait(false);
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
                throw new FileNotFoundException($"The file {remotePath} does not exist on {Endpoint}.", remotePath, e);
            }
            catch (Exception e) when (!(e is OperationCanceledException) && !(e is PhoenixException))
            {
                throw MapSftpFailure(sftp, e, remotePath, $"the download of {remotePath}");
            }
        }

        /// <inheritdoc />
        public async Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            RemotePaths.ValidateFilePath(remotePath, nameof(remotePath));
            ThrowIfDisposed();
            Log?.Invoke($"sftp rm {ShellQuote.Quote(remotePath)}");
            var sftp = await GetSftpClientAsync(cancellationToken).ConfigureAwait(false);
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

        /// <summary>Closes both connections. Calls still running fail with <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            DisposeQuietly(Interlocked.Exchange(ref _ssh.Client, null));
            DisposeQuietly(Interlocked.Exchange(ref _sftp.Client, null));
            foreach (var key in _keys) DisposeQuietly(key);
        }

        /// <summary>For example <c>root@pve1:22 SHA256:... (connected)</c>.</summary>
        public override string ToString() =>
            $"{UserName}@{Endpoint} {HostKeyFingerprint ?? "(no host key yet)"} ({(IsConnected ? "connected" : "not connected")})";

        /// <summary>
        /// The line the login shell runs. The leading no-op names the run so <see cref="StopScript"/> can
        /// find its process group; <c>exit $?</c> keeps the shell from exec'ing the command (bash does that
        /// for a last command), which would lose that name. Without input, stdin is /dev/null (like
        /// <c>ssh -n</c>): SSH.NET sends no EOF for an input stream nothing was written to.
        /// </summary>
        internal static string WrapForLoginShell(string commandLine, string runId, bool hasInput) =>
            $": phoenix-run-{runId}; {commandLine}{(hasInput ? "" : " </dev/null")}; exit $?";

        /// <summary>
        /// Sends SIGTERM to the process group of the run named $0. OpenSSH refuses the SSH "signal"
        /// request for root logins (they run without privilege separation), and closing a channel
        /// without a terminal signals nothing, so a cancelled command is stopped this way. sshd makes
        /// each session's shell a process group leader, so the group holds everything the command started.
        /// The bracket keeps the pattern from matching this script's own command line.
        /// </summary>
        internal const string StopScript =
            "for f in $(grep -lz -- \": [p]hoenix-run-$0; \" /proc/[0-9]*/cmdline 2>/dev/null); do " +
            "p=${f#/proc/}; kill -s TERM -- \"-${p%/cmdline}\" 2>/dev/null; done; exit 0";

        private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(3);

        private static string NewRunId()
        {
            var bytes = new byte[6];
            using (var rng = System.Security.Cryptography.RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return string.Concat(bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }

        private async Task StopRemoteAsync(SshClient client, string runId, string display)
        {
            if (_disposed || !client.IsConnected) return;
            Log?.Invoke($"ssh: stopping {display}");
            var stop = new RemoteCommand("sh", "-c", StopScript, runId);
            var limit = new CancellationTokenSource(StopTimeout);
            var stopping = ExecuteAsync(client, stop.ToShellString() + " </dev/null", null, stop.ToDisplayString(), null, limit.Token);
            _ = stopping.ContinueWith(_ => limit.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            // Opening the channel is not cancellable; never hold the caller longer than the limit.
            await Task.WhenAny(stopping, Task.Delay(StopTimeout)).ConfigureAwait(false);
            // Best effort: the caller is told that the command was cancelled either way.
            Observe(stopping);
        }

        private async Task<CommandResult> ExecuteAsync(SshClient client, string text, byte[]? standardInput, string display, string? runId, CancellationToken token)
        {
            SshCommand command;
            try
            {
                command = client.CreateCommand(text, Utf8);
            }
            catch (Exception e) when (IsConnectionFailure(e, client))
            {
                throw Lost(_ssh, client, display, e);
            }

            using (command)
            {
                Task execution;
                try
                {
                    // ExecuteAsync opens the channel synchronously (and may wait for a free one): keep
                    // that off the caller's thread.
                    execution = await Task.Factory.StartNew(() => command.ExecuteAsync(CancellationToken.None),
                        CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).ConfigureAwait(false);
                }
                catch (Exception e) when (IsConnectionFailure(e, client))
                {
                    throw Lost(_ssh, client, display, e);
                }
                catch (SshException e)
                {
                    throw new PhoenixException(PhoenixErrorKind.RemoteCommandFailed, "ChannelFailed",
                        $"{Endpoint} did not let Phoenix start {display} ({SshFailures.Cause(e)}).", HostName, e)
                        .WithAdvice("Run it again; if this keeps happening, look at the host's sshd log (MaxSessions limits the commands per connection).");
                }

                // SSH.NET's cancel blocks while it waits for the host: never on the thread that cancels the token.
                using (token.Register(() => ThreadPool.QueueUserWorkItem(_ => TryCancel(command))))
                {
                    var feeding = FeedStandardInputAsync(command, standardInput);
                    try
                    {
                        await execution.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        if (runId != null) await StopRemoteAsync(client, runId, display).ConfigureAwait(false);
                        throw;
                    }
                    catch (Exception e) when (IsConnectionFailure(e, client))
                    {
                        throw Lost(_ssh, client, display, e);
                    }
                    finally
                    {
                        Observe(feeding);
                    }
                }

                var stdout = ReadAll(command.OutputStream);
                var stderr = ReadAll(command.ExtendedOutputStream);
                return new CommandResult(ExitCodeOf(command), Utf8.GetString(stdout), Utf8.GetString(stderr));
            }
        }

        private static Task FeedStandardInputAsync(SshCommand command, byte[]? input) => Task.Run(() =>
        {
            Stream stream;
            try
            {
                stream = command.CreateInputStream();
            }
            catch (InvalidOperationException)
            {
                return; // the command has finished already
            }
            // Disposing sends EOF; without it a command that reads stdin would wait forever.
            using (stream)
            {
                if (input != null && input.Length > 0) stream.Write(input, 0, input.Length);
            }
        });

        private static void Observe(Task task)
        {
            // Failures nobody waits for: a command that exits without reading all of its input, a stop
            // request that could not be delivered. Observed so they do not surface as unobserved exceptions.
            _ = task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        private static void TryCancel(SshCommand command)
        {
            try
            {
                // Short: for root logins sshd ignores the signal, and StopRemoteAsync does the real work.
                command.CancelAsync(forceKill: false, millisecondsTimeout: 200);
            }
            catch (Exception e) when (e is InvalidOperationException || e is ObjectDisposedException || e is SshException || e is SocketException)
            {
                // Finished or gone in the meantime.
            }
        }

        private static int ExitCodeOf(SshCommand command)
        {
            if (command.ExitStatus.HasValue) return command.ExitStatus.Value;
            // Killed by a signal: report it as a shell would (128 + signal number).
            switch (command.ExitSignal)
            {
                case "HUP": return 129;
                case "INT": return 130;
                case "QUIT": return 131;
                case "ILL": return 132;
                case "ABRT": return 134;
                case "FPE": return 136;
                case "KILL": return 137;
                case "USR1": return 138;
                case "SEGV": return 139;
                case "USR2": return 140;
                case "PIPE": return 141;
                case "ALRM": return 142;
                case "TERM": return 143;
                default: return -1;
            }
        }

        private static byte[] ReadAll(Stream stream)
        {
            using (var buffer = new MemoryStream())
            {
                stream.CopyTo(buffer);
                return buffer.ToArray();
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
                var result = await RunAsync(new RemoteCommand("mv", "-f", "--", temp, target), TimeSpan.FromSeconds(60), token).ConfigureAwait(false);
                if (result.ExitCode != 0)
                    throw new PhoenixException(PhoenixErrorKind.RemoteCommandFailed, "UploadFailed",
                        $"Cannot move the uploaded file into place at {target} on {Endpoint} ({result.StdErr.Trim()}).", HostName)
                        .WithAdvice("Check the path and its permissions on the host.");
            }
        }

        private Exception MapSftpFailure(SftpClient sftp, Exception e, string remotePath, string what)
        {
            if (_disposed) return new ObjectDisposedException(nameof(SshHostConnection), $"The connection to {Endpoint} was closed during {what}.");
            if (IsConnectionFailure(e, sftp)) return Lost(_sftp, sftp, what, e);
            switch (e)
            {
                case SftpPathNotFoundException _:
                    return new PhoenixException(PhoenixErrorKind.NotFound, "RemoteDirectoryNotFound",
                        $"Failed: {what} on {Endpoint}: the directory '{RemotePaths.DirectoryPrefix(remotePath)}' does not exist.", HostName, e)
                        .WithAdvice("Check the path, or create the directory on the host first.");
                case SftpPermissionDeniedException _:
                    return new PhoenixException(PhoenixErrorKind.SecurityError, "PermissionDenied",
                        $"Failed: {what} on {Endpoint}: permission denied for '{UserName}'.", HostName, e)
                        .WithAdvice($"Check the permissions of the directory on the host, or connect as a user who may write there.");
                default:
                    return new PhoenixException(PhoenixErrorKind.RemoteCommandFailed, "TransferFailed",
                        $"Failed: {what} on {Endpoint}: {SshFailures.Cause(e)}.", HostName, e)
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

        private bool IsConnectionFailure(Exception e, BaseClient client) =>
            e is SshConnectionException || e is SocketException || e is ObjectDisposedException ||
            ((e is SshException || e is IOException || e is InvalidOperationException) && !client.IsConnected);

        private Exception Lost<T>(ClientSlot<T> slot, T client, string what, Exception e) where T : BaseClient
        {
            if (Interlocked.CompareExchange(ref slot.Client, null, client) == client) DisposeQuietly(client);
            if (_disposed) return new ObjectDisposedException(nameof(SshHostConnection), $"The connection to {Endpoint} was closed during {what}.");
            return SshFailures.ConnectionLost(HostName, Port, what, e);
        }

        private Task<SshClient> GetSshClientAsync(CancellationToken token) =>
            GetClientAsync(_ssh, info => new SshClient(info) { KeepAliveInterval = KeepAliveInterval }, token);

        private Task<SftpClient> GetSftpClientAsync(CancellationToken token) =>
            GetClientAsync(_sftp, info => new SftpClient(info) { KeepAliveInterval = KeepAliveInterval, OperationTimeout = SftpOperationTimeout }, token);

        private async Task<T> GetClientAsync<T>(ClientSlot<T> slot, Func<ConnectionInfo, T> create, CancellationToken token) where T : BaseClient
        {
            var current = Volatile.Read(ref slot.Client);
            if (current != null && current.IsConnected) return current;
            await slot.Gate.WaitAsync(token).ConfigureAwait(false);
            try
            {
                ThrowIfDisposed();
                current = slot.Client;
                if (current != null && current.IsConnected) return current;
                if (current != null)
                {
                    slot.Client = null;
                    DisposeQuietly(current);
                }
                if (slot.EverConnected) Log?.Invoke($"{slot.Name}: reconnecting to {UserName}@{Endpoint}");
                var client = await ConnectClientAsync(create, token).ConfigureAwait(false);
                if (_disposed)
                {
                    DisposeQuietly(client);
                    ThrowIfDisposed();
                }
                slot.Client = client;
                slot.EverConnected = true;
                return client;
            }
            finally
            {
                slot.Gate.Release();
            }
        }

        private async Task<T> ConnectClientAsync<T>(Func<ConnectionInfo, T> create, CancellationToken token) where T : BaseClient
        {
            var client = create(CreateConnectionInfo());
            PhoenixException? refusal = null;
            client.HostKeyReceived += (sender, e) =>
            {
                try
                {
                    refusal = _verifier.Verify(e.HostKey, _fingerprint);
                }
                catch (Exception error)
                {
                    refusal = new PhoenixException(PhoenixErrorKind.SecurityError, "HostKeyCheckFailed",
                        $"The host key of {Endpoint} could not be checked ({SshFailures.Cause(error)}); Phoenix did not log in.", HostName, error)
                        .WithAdvice("Pin the host key with -HostKeyFingerprint, or check the known_hosts file.");
                }
                e.CanTrust = refusal == null;
                if (refusal == null && _fingerprint == null)
                {
                    _keyType = KnownHostsFile.KeyTypeOf(e.HostKey);
                    _fingerprint = KnownHostsFile.Fingerprint(e.HostKey);
                }
            };

            using (var limit = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                limit.CancelAfter(_options.ConnectTimeout);
                try
                {
                    await client.ConnectAsync(limit.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _connectionsOpened);
                    return client;
                }
                catch (Exception e)
                {
                    DisposeQuietly(client);
                    if (refusal != null) throw refusal;
                    if (token.IsCancellationRequested)
                        throw new OperationCanceledException($"Connecting to {Endpoint} was cancelled.", e, token);
                    if (limit.IsCancellationRequested) throw SshFailures.TimedOut(HostName, Port, _options.ConnectTimeout, e);
                    throw SshFailures.ConnectFailed(e, HostName, Port, UserName, _authDescription, _options.ConnectTimeout);
                }
            }
        }

        private ConnectionInfo CreateConnectionInfo()
        {
            // Authentication method objects keep per-attempt state: fresh ones for every connection.
            var methods = new List<AuthenticationMethod>();
            if (_keys.Count > 0) methods.Add(new PrivateKeyAuthenticationMethod(UserName, _keys.Cast<IPrivateKeySource>().ToArray()));
            if (_options.Password != null) methods.Add(new PasswordAuthenticationMethod(UserName, _options.Password));
            var info = new ConnectionInfo(HostName, Port, UserName, methods.ToArray())
            {
                Timeout = _options.ConnectTimeout,
            };
            RestrictHostKeyAlgorithms(info.HostKeyAlgorithms, _verifier.KnownKeyTypes());
            return info;
        }

        /// <summary>
        /// Asks the server for a host key of a type known_hosts already lists (OpenSSH does the same), so a
        /// host with several keys does not look changed just because another type was negotiated.
        /// Certificate algorithms are always dropped: Phoenix checks plain host keys only.
        /// </summary>
        internal static void RestrictHostKeyAlgorithms<TValue>(IDictionary<string, TValue> algorithms, IReadOnlyCollection<string> knownKeyTypes)
        {
            foreach (var name in algorithms.Keys.Where(n => n.Contains("-cert-")).ToList()) algorithms.Remove(name);
            if (knownKeyTypes.Count == 0) return;
            var keep = algorithms.Keys.Where(n => knownKeyTypes.Contains(KeyTypeOfAlgorithm(n))).ToList();
            // No overlap: leave the list alone and let verification refuse the key with a clear message.
            if (keep.Count == 0) return;
            foreach (var name in algorithms.Keys.Except(keep).ToList()) algorithms.Remove(name);
        }

        private static string KeyTypeOfAlgorithm(string algorithm) =>
            algorithm == "rsa-sha2-256" || algorithm == "rsa-sha2-512" ? "ssh-rsa" : algorithm;

        private static SshConnectionOptions Validate(SshConnectionOptions o)
        {
            PhoenixException Invalid(string reason, string message) =>
                new PhoenixException(PhoenixErrorKind.InvalidArgument, reason, message, o.HostName);

            if (string.IsNullOrWhiteSpace(o.HostName)) throw Invalid("InvalidHostName", "A host name or address is needed to connect.");
            o.HostName = o.HostName.Trim();
            if (o.Port < 1 || o.Port > 65535) throw Invalid("InvalidPort", $"The port {o.Port} is not a TCP port (1 to 65535).");
            if (string.IsNullOrWhiteSpace(o.UserName)) throw Invalid("InvalidUserName", "A user name is needed to connect.");
            if (o.ConnectTimeout <= TimeSpan.Zero) throw Invalid("InvalidTimeout", "The connect timeout must be positive.");
            if (string.IsNullOrWhiteSpace(o.KnownHostsPath)) o.KnownHostsPath = SshConnectionOptions.DefaultKnownHostsPath;
            o.KnownHostsPath = ExpandHome(o.KnownHostsPath);
            if (string.IsNullOrWhiteSpace(o.HostKeyFingerprint))
            {
                o.HostKeyFingerprint = null;
            }
            else
            {
                try
                {
                    o.HostKeyFingerprint = SshConnectionOptions.NormalizeFingerprint(o.HostKeyFingerprint!);
                }
                catch (ArgumentException e)
                {
                    throw new PhoenixException(PhoenixErrorKind.InvalidArgument, "InvalidHostKeyFingerprint", e.Message, o.HostName, e);
                }
            }
            if (string.IsNullOrEmpty(o.KeyFile)) o.KeyFile = null;
            return o;
        }

        private static IReadOnlyList<PrivateKeyFile> LoadKeys(SshConnectionOptions o, out string description)
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

            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var candidates = new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(n => Path.Combine(home, ".ssh", n)).ToList();
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
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, "NoCredential",
                    $"No way to log in to {endpoint} as '{o.UserName}': no key file and no password were given, and none of {string.Join(", ", candidates)} could be used.",
                    o.HostName)
                    .WithAdvice("Give a private key with -KeyFile (and -KeyPassphrase if it has one), or a password with -Credential.");
            description = "the default keys " + string.Join(", ", used);
            return keys;
        }

        private static PrivateKeyFile LoadKey(string path, string? passphrase, string endpoint, string host)
        {
            PhoenixException Invalid(string why, string action, Exception? inner) =>
                new PhoenixException(PhoenixErrorKind.InvalidArgument, "KeyFileInvalid",
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
            catch (Exception e) when (e is SshException || e is ArgumentException || e is FormatException || e is NotSupportedException || e is System.Security.Cryptography.CryptographicException)
            {
                throw Invalid($"it is not a private key Phoenix can read ({SshFailures.Cause(e)}).",
                    "Give the private key (not the .pub file), in OpenSSH, PEM or PuTTY format.", e);
            }
        }

        // SSH.NET has no exception type for a wrong passphrase: an OpenSSH key reports that its check
        // bytes differ, PEM keys fail at padding or decryption.
        private static bool LooksLikeWrongPassphrase(Exception e) =>
            new[] { "passphrase", "check bytes", "padding", "decrypt" }.Any(w => e.Message.IndexOf(w, StringComparison.OrdinalIgnoreCase) >= 0);

        private static string ExpandHome(string path)
        {
            if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
                return Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path.Substring(1);
            return path;
        }

        // SSH.NET takes a mode as the decimal number that reads like its octal form (0640 -> 640).
        private static short OctalDigits(int mode) =>
            (short)(((mode >> 6) & 7) * 100 + ((mode >> 3) & 7) * 10 + (mode & 7));

        private void ThrowIfDisposed()
        {
            if (_disposed) throw new ObjectDisposedException(nameof(SshHostConnection), $"The connection to {Endpoint} has been closed.");
        }

        private static void DisposeQuietly(IDisposable? disposable)
        {
            try
            {
                disposable?.Dispose();
            }
            catch (Exception e) when (e is SshException || e is SocketException || e is ObjectDisposedException || e is InvalidOperationException || e is IOException)
            {
                // Closing a connection that is already broken.
            }
        }

        private sealed class ClientSlot<T> where T : BaseClient
        {
            public ClientSlot(string name) => Name = name;

            public readonly string Name;
            public readonly SemaphoreSlim Gate = new SemaphoreSlim(1, 1);
            public T? Client;
            public bool EverConnected;
        }
    }
}
