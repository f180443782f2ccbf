using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>What a planned step does.</summary>
    public enum PlannedActionKind
    {
        /// <summary>A command that would run.</summary>
        Command,
        /// <summary>A file that would be written.</summary>
        Upload,
    }

    /// <summary>
    /// One change -WhatIf would make: <see cref="Text"/> is exact (the command line as logs show it, secrets
    /// redacted, or the file write with path, size and mode), <see cref="Description"/> says what it does in a
    /// few words (the text itself when nothing shorter was given).
    /// </summary>
    public sealed record PlannedAction(PlannedActionKind Kind, string Text, string? RemotePath = null, string? Description = null)
    {
        /// <summary>What the change does in a few words; <see cref="Text"/> when no description was given.</summary>
        public string Summary => Description ?? Text;

        public override string ToString() => Text;
    }

    /// <summary>
    /// The connection -WhatIf runs over. Reads (commands marked by <see cref="CommandIntent"/>, and
    /// downloads) go to the real connection, so a plan is made from the host's real state; every
    /// other command and every upload is recorded and answered with success and no output, without
    /// running. Secrets stay hidden: commands are recorded by <see cref="RemoteCommand.ToDisplayString"/>,
    /// uploads by path and size. Reads made after a planned change still see the host as it is, so
    /// the caller must not expect a planned clone to show up in <c>qm list</c>.
    /// Disposing the recorder does not dispose the real connection, which belongs to the session.
    /// </summary>
    public sealed class PlanRecorder : IHostConnection
    {
        private readonly IHostConnection _inner;
        private readonly Func<RemoteCommand, bool>? _isReadOnly;
        private readonly object _gate = new object();
        private readonly List<PlannedAction> _actions = new List<PlannedAction>();
        private readonly PlanRecorder? _plan;
        private readonly string? _node;

        /// <param name="inner">The real connection that answers reads.</param>
        /// <param name="isReadOnly">An extra test for reads, for commands built outside <see cref="QmCommand"/> that are not marked.</param>
        public PlanRecorder(IHostConnection inner, Func<RemoteCommand, bool>? isReadOnly = null)
        {
            _inner = inner ?? throw new ArgumentNullException(nameof(inner));
            _isReadOnly = isReadOnly;
        }

        private PlanRecorder(IHostConnection inner, PlanRecorder plan, string node) : this(inner, plan._isReadOnly)
        {
            _plan = plan;
            _node = node;
        }

        /// <summary>
        /// A recorder over another node's connection that writes into this one's plan, each change shown as
        /// <c>on node 'pve2': qm start 101</c> (the exact text stays as it is).
        /// </summary>
        public PlanRecorder ForNode(IHostConnection inner, string node) => new PlanRecorder(inner, _plan ?? this, node);

        /// <summary>Raised for each change as it is recorded (from the thread that made it).</summary>
        public event EventHandler<PlannedAction>? Planned;

        /// <summary>The real connection.</summary>
        public IHostConnection Inner => _inner;

        /// <summary>Every change recorded so far, in order.</summary>
        public IReadOnlyList<PlannedAction> Actions
        {
            get { lock (_gate) return _actions.ToList(); }
        }

        /// <summary>The recorded changes, exactly (secrets redacted): every command line and file write.</summary>
        public IReadOnlyList<string> Commands => Actions.Select(a => a.Text).ToList();

        /// <summary>
        /// The recorded changes as -WhatIf shows them: <see cref="PlannedAction.Summary"/>, which is exact for qm, pvesm,
        /// pvesh and file writes and says what a guest program does (<c>in the guest: write /tmp/vm_context.json (990 bytes)</c>).
        /// </summary>
        public IReadOnlyList<string> Shown => Actions.Select(a => a.Summary).ToList();

        public string HostName => _inner.HostName;
        public int Port => _inner.Port;
        public string UserName => _inner.UserName;
        public string? HostKeyFingerprint => _inner.HostKeyFingerprint;
        public bool IsConnected => _inner.IsConnected;
        public HostCapabilities Capabilities => _inner.Capabilities;

        /// <summary>True when <paramref name="command"/> would run for real under this recorder.</summary>
        public bool IsRead(RemoteCommand command) =>
            CommandIntent.IsReadOnly(command) || (_isReadOnly != null && _isReadOnly(command));

        public Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (command == null) throw new ArgumentNullException(nameof(command));
            if (IsRead(command)) return _inner.RunAsync(command, timeout, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            Record(new PlannedAction(PlannedActionKind.Command, command.ToDisplayString(), Description: command.Description));
            return Task.FromResult(new CommandResult(0, "", ""));
        }

        public Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default)
        {
            if (remotePath == null) throw new ArgumentNullException(nameof(remotePath));
            if (content == null) throw new ArgumentNullException(nameof(content));
            cancellationToken.ThrowIfCancellationRequested();
            var octal = Convert.ToString(mode, 8).PadLeft(4, '0');
            Record(new PlannedAction(PlannedActionKind.Upload,
                $"write {content.Length.ToString(CultureInfo.InvariantCulture)} bytes to {ShellQuote.Quote(remotePath)} (mode {octal})", remotePath));
            return Task.CompletedTask;
        }

        public Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default) =>
            _inner.DownloadAsync(remotePath, cancellationToken);

        /// <summary>Records the deletion; nothing is deleted.</summary>
        public Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            if (remotePath == null) throw new ArgumentNullException(nameof(remotePath));
            cancellationToken.ThrowIfCancellationRequested();
            Record(new PlannedAction(PlannedActionKind.Upload, $"delete {ShellQuote.Quote(remotePath)}", remotePath));
            return Task.FromResult(true);
        }

        /// <summary>Does nothing: the real connection belongs to whoever made it.</summary>
        public void Dispose()
        {
        }

        private void Record(PlannedAction action)
        {
            if (_plan != null)
            {
                _plan.Record(action with { Description = $"on node '{_node}': {action.Summary}" });
                return;
            }
            lock (_gate) _actions.Add(action);
            Planned?.Invoke(this, action);
        }
    }
}
