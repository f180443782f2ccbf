using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Text;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// <see cref="IHostConnection"/> over SSH (SSH.NET). One SSH connection, opened once and reused, carries every
    /// command (each on its own channel, so calls may run in parallel) and every file transfer (a small shell
    /// script with the bytes on its standard input or output, <see cref="CommandTransfers"/>): no second
    /// connection for SFTP. Host keys are verified fail-closed
    /// (see <see cref="SshConnectionOptions"/>); the options are checked and the keys loaded beside them
    /// (<see cref="SshConnectionOptions.Validated"/>, <see cref="SshKeys"/>).
    /// A connection that drops fails the calls in flight with Reason <c>ConnectionLost</c>; the next call
    /// reconnects once, and must meet the same host key as before.
    /// </summary>
    public sealed class SshHostConnection : IHostConnection, IHostFileBatch
    {
        // Below OpenSSH's default MaxSessions (10) and SSH.NET's own channel limit (10), whose wait
        // blocks a thread; queueing here instead keeps the waiting asynchronous.
        private const int MaxParallelCommands = 8;

        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

        private readonly SshConnectionOptions _options;
        private readonly HostKeyVerifier _verifier;
        private readonly IReadOnlyList<PrivateKeyFile> _keys;
        private readonly string _authDescription;
        private readonly CommandTransfers _commandTransfers;
        private readonly SemaphoreSlim _commandGate = new SemaphoreSlim(MaxParallelCommands, MaxParallelCommands);
        private readonly ClientSlot<SshClient> _ssh = new ClientSlot<SshClient>("ssh");
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
            _commandTransfers = new CommandTransfers(this);
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
        /// How many SSH connections this object has opened so far: the one connection and every reconnect
        /// each count one. A read-only statistic (the benchmark reports it).
        /// </summary>
        public int ConnectionsOpened => Volatile.Read(ref _connectionsOpened);

        /// <inheritdoc />
        public bool IsConnected => !_disposed && _ssh.Client?.IsConnected == true;

        /// <summary>True when every command runs through <c>sudo -n</c> (<see cref="SshConnectionOptions.UseSudo"/>).</summary>
        public bool UseSudo => _options.UseSudo;

        /// <inheritdoc />
        /// <remarks>Over SSH Phoenix talks to a real node's qm, whose guest agent runs what it is given.</remarks>
        public HostCapabilities Capabilities => HostCapabilities.Full;

        /// <summary>
        /// Called before each command with its <see cref="RemoteCommand.ToDisplayString"/> (secrets
        /// redacted, stdin shown only as a length), and before each transfer and reconnect with a
        /// one-line description. The cmdlets send it to the Verbose stream. It may be called from any thread.
        /// </summary>
        public Action<string>? Log { get; set; }

        internal string Endpoint => SshFailures.Endpoint(HostName, Port);

        internal bool IsDisposed => _disposed;

        /// <summary>
        /// Connects, verifies the host key and authenticates; commands and transfers share this one
        /// connection. Failures are <see cref="PhoenixException"/>s whose Reason is one of HostNotFound,
        /// ConnectionRefused, ConnectionTimedOut, HostUnreachable, ConnectionFailed, AuthenticationFailed,
        /// HostKeyUnknown, HostKeyMismatch, HostKeyChanged, HostKeyRevoked, KnownHostsUnreadable,
        /// KnownHostsNotWritable, KeyFileInvalid, NoCredential or InvalidArgument.
        /// </summary>
        public static async Task<SshHostConnection> ConnectAsync(SshConnectionOptions options, CancellationToken cancellationToken = default)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            var o = options.Validated();
            var verifier = new HostKeyVerifier(o.HostName, o.Port, o.HostKeyFingerprint, o.KnownHostsPath, o.AcceptNewHostKey);
            var keys = SshKeys.Load(o, out var authDescription);
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
            var display = command.ToDisplayString();
            Log?.Invoke(display);
            var r = await RunCoreAsync(command, display, timeout, cancellationToken).ConfigureAwait(false);
            return new CommandResult(r.ExitCode, Utf8.GetString(r.StdOut), Utf8.GetString(r.StdErr));
        }

        /// <summary>
        /// Runs a command of the transport itself (a file transfer), which logs its own line: <paramref name="what"/>
        /// names it in errors. Standard output comes back as bytes.
        /// </summary>
        internal Task<RawResult> RunQuietAsync(RemoteCommand command, string what, TimeSpan timeout, CancellationToken cancellationToken) =>
            RunCoreAsync(command, what, timeout, cancellationToken);

        private async Task<RawResult> RunCoreAsync(RemoteCommand command, string display, TimeSpan? timeout, CancellationToken cancellationToken)
        {
            if (timeout.HasValue && timeout.Value <= TimeSpan.Zero && timeout.Value != Timeout.InfiniteTimeSpan)
                throw new ArgumentOutOfRangeException(nameof(timeout), "A command timeout must be positive.");
            ThrowIfDisposed();
            var runId = NewRunId();
            var text = WrapForLoginShell(ShellLine(command), runId, command.StandardInput != null && command.StandardInput.Length > 0);

            using (var timeoutSource = new CancellationTokenSource())
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token))
            {
                if (timeout.HasValue && timeout.Value != Timeout.InfiniteTimeSpan) timeoutSource.CancelAfter(timeout.Value);
                try
                {
                    await _commandGate.WaitAsync(linked.Token).ConfigureAwait(false);
                    RawResult result;
                    try
                    {
                        var client = await GetSshClientAsync(linked.Token).ConfigureAwait(false);
                        result = await ExecuteAsync(client, text, command.StandardInput, display, runId, linked.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        _commandGate.Release();
                    }
                    if (UseSudo) CheckSudo(result, display);
                    return result;
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

        /// <summary>The command line the login shell runs for <paramref name="command"/>: through <c>sudo -n</c> with -UseSudo.</summary>
        private string ShellLine(RemoteCommand command) => UseSudo ? "sudo -n -- " + command.ToShellString() : command.ToShellString();

        /// <summary>
        /// sudo's own refusals (it wants a password, the user may not run the command, no terminal for a password) come
        /// as exit code 1 with sudo's words on stderr, before the command ran: an error naming the command, so nothing
        /// goes on as if the command had answered.
        /// </summary>
        private void CheckSudo(RawResult result, string display)
        {
            if (result.ExitCode != 1) return;
            var stderr = Utf8.GetString(result.StdErr).Trim();
            var first = stderr.Split('\n')[0].Trim();
            var refused = first.StartsWith("sudo: ", StringComparison.Ordinal) ||
                (first.StartsWith("Sorry, user ", StringComparison.Ordinal) && first.IndexOf(" is not allowed to execute ", StringComparison.Ordinal) > 0);
            if (!refused) return;
            throw new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.SudoRefused,
                $"sudo on {Endpoint} did not run {display} for '{UserName}': {first.TrimEnd('.')}. The command did not run, so nothing was changed by it.",
                HostName)
                .WithAdvice($"Give '{UserName}' a sudoers rule that lets it run Proxmox's commands (qm, pvesm, pvesh, hostname, sh) without a password " +
                    $"(for example '{UserName} ALL=(root) NOPASSWD: ALL' in /etc/sudoers.d/phoenix), or connect as root without -UseSudo.");
        }

        /// <inheritdoc />
        /// <param name="remotePath">The target file; a relative path is relative to the login directory.</param>
        /// <param name="content">The bytes to write.</param>
        /// <param name="mode">POSIX permission bits, 0 to 0777 (for example <c>Convert.ToInt32("600", 8)</c>); applied once the content is complete.</param>
        /// <param name="cancellationToken">Stops the transfer; the temporary file is removed.</param>
        /// <remarks>
        /// Over the command channel (<see cref="CommandTransfers"/>): the file is created by <c>mktemp</c> under <c>umask 077</c>,
        /// so it is 0600 from its first byte, then filled from standard input, checked, given its mode and renamed over the target.
        /// </remarks>
        public Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default)
        {
            ThrowIfDisposed();
            return _commandTransfers.UploadAsync(remotePath, content, mode, cancellationToken);
        }

        /// <inheritdoc />
        /// <remarks>Over the command channel (<c>cat</c>, through sudo with -UseSudo), on the one SSH connection.</remarks>
        public Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            ThrowIfDisposed();
            return _commandTransfers.DownloadAsync(remotePath, cancellationToken);
        }

        /// <summary>Reads several files in one command on the one SSH connection (one channel); null for each that is not there.</summary>
        public Task<IReadOnlyList<byte[]?>> ReadFilesAsync(IReadOnlyList<string> remotePaths, CancellationToken cancellationToken = default)
        {
            ThrowIfDisposed();
            return _commandTransfers.ReadFilesAsync(remotePaths, cancellationToken);
        }

        /// <inheritdoc />
        /// <remarks>Over the command channel (<c>rm</c>, through sudo with -UseSudo), on the one SSH connection.</remarks>
        public Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            ThrowIfDisposed();
            return _commandTransfers.DeleteAsync(remotePath, cancellationToken);
        }

        /// <summary>Closes the connection. Calls still running fail with <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            DisposeQuietly(Interlocked.Exchange(ref _ssh.Client, null));
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

        private static string NewRunId() => Hex.Random(6);

        private async Task StopRemoteAsync(SshClient client, string runId, string display)
        {
            if (_disposed || !client.IsConnected) return;
            Log?.Invoke($"ssh: stopping {display}");
            var stop = new RemoteCommand("sh", "-c", StopScript, runId);
            var limit = new CancellationTokenSource(StopTimeout);
            var stopping = ExecuteAsync(client, ShellLine(stop) + " </dev/null", null, stop.ToDisplayString(), null, limit.Token);
            _ = stopping.ContinueWith(_ => limit.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            // Opening the channel is not cancellable; never hold the caller longer than the limit.
            await Task.WhenAny(stopping, Task.Delay(StopTimeout)).ConfigureAwait(false);
            // Best effort: the caller is told that the command was cancelled either way.
            Observe(stopping);
        }

        private async Task<RawResult> ExecuteAsync(SshClient client, string text, byte[]? standardInput, string display, string? runId,
            CancellationToken token)
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

            // Disposed quietly: on a connection that died mid-command, disposing the command (its channel close) throws
            // ObjectDisposedException from the session's cipher, which would replace the connection-lost error already thrown.
            try
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
                    throw new PhoenixException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.ChannelFailed,
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

                return new RawResult(ExitCodeOf(command), ReadAll(command.OutputStream), ReadAll(command.ExtendedOutputStream));
            }
            finally
            {
                DisposeQuietly(command);
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

        internal bool IsConnectionFailure(Exception e, BaseClient client) =>
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
                    refusal = new PhoenixException(PhoenixErrorKind.SecurityError, ErrorIds.HostKeyCheckFailed,
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

        internal void ThrowIfDisposed()
        {
            if (_disposed) throw new ObjectDisposedException(nameof(SshHostConnection), $"The connection to {Endpoint} has been closed.");
        }

        private static void DisposeQuietly(IDisposable? disposable)
        {
            try
            {
                disposable?.Dispose();
            }
            catch (Exception e) when (e is SshException || e is SocketException || e is ObjectDisposedException || e is InvalidOperationException
                || e is IOException)
            {
                // Closing a connection that is already broken.
            }
        }

        /// <summary>What a command gave back, as bytes.</summary>
        internal readonly struct RawResult
        {
            public RawResult(int exitCode, byte[] stdOut, byte[] stdErr)
            {
                ExitCode = exitCode;
                StdOut = stdOut;
                StdErr = stdErr;
            }

            public int ExitCode { get; }
            public byte[] StdOut { get; }
            public byte[] StdErr { get; }
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
