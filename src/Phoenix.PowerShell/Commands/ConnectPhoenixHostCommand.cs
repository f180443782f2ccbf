using System;
using System.Collections;
using System.Management.Automation;
using System.Net;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;
using Phoenix.PowerShell.Infrastructure;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Connects to a Proxmox VE host over SSH (or to the in-process simulator).</summary>
    [Cmdlet(VerbsCommunications.Connect, "PhoenixHost", DefaultParameterSetName = KeyFileSet)]
    [OutputType(typeof(PhoenixSession))]
    public sealed class ConnectPhoenixHostCommand : PhoenixCmdlet
    {
        private const string KeyFileSet = "KeyFile";
        private const string CredentialSet = "Credential";
        private const string SimulatorSet = "Simulator";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = KeyFileSet)]
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = CredentialSet)]
        [ValidateNotNullOrEmpty]
        public string HostName { get; set; } = "";

        [Parameter(ParameterSetName = KeyFileSet)]
        [Parameter(ParameterSetName = CredentialSet)]
        [ValidateRange(1, 65535)]
        public int Port { get; set; } = 22;

        [Parameter(ParameterSetName = KeyFileSet)]
        [ValidateNotNullOrEmpty]
        public string UserName { get; set; } = "root";

        [Parameter(ParameterSetName = KeyFileSet)]
        [ValidateNotNullOrEmpty]
        public string? KeyFile { get; set; }

        [Parameter(ParameterSetName = KeyFileSet)]
        public SecureString? KeyPassphrase { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = CredentialSet)]
        [Credential]
        public PSCredential? Credential { get; set; }

        [Parameter(ParameterSetName = KeyFileSet)]
        [Parameter(ParameterSetName = CredentialSet)]
        [ValidateNotNullOrEmpty]
        public string? HostKeyFingerprint { get; set; }

        [Parameter(ParameterSetName = KeyFileSet)]
        [Parameter(ParameterSetName = CredentialSet)]
        [ValidateNotNullOrEmpty]
        public string? KnownHostsPath { get; set; }

        [Parameter(ParameterSetName = KeyFileSet)]
        [Parameter(ParameterSetName = CredentialSet)]
        public SwitchParameter AcceptNewHostKey { get; set; }

        [Parameter(ParameterSetName = KeyFileSet)]
        [Parameter(ParameterSetName = CredentialSet)]
        [ValidateRange(1, 3600)]
        public int ConnectTimeoutSec { get; set; } = 15;

        /// <summary>
        /// Run every host command through <c>sudo -n</c>, for a login user who is not root; files are written, read and
        /// deleted through sudo too. A sudo that wants a password or refuses is an error naming the command.
        /// </summary>
        [Parameter(ParameterSetName = KeyFileSet)]
        [Parameter(ParameterSetName = CredentialSet)]
        public SwitchParameter UseSudo { get; set; }

        /// <summary>
        /// Per node of the cluster, the pinned host key fingerprint (a hashtable: node name to SHA256:...). A node without
        /// one is checked against known_hosts (or accepted once with -AcceptNewHostKey); -HostKeyFingerprint pins only the
        /// node connected to.
        /// </summary>
        [Parameter(ParameterSetName = KeyFileSet)]
        [Parameter(ParameterSetName = CredentialSet)]
        [ValidateNotNull]
        public Hashtable? NodeHostKeyFingerprint { get; set; }

        /// <summary>
        /// Per node of the cluster, where to reach it over SSH ("host", "host:port" or "[address]:port"), when not at the
        /// address the cluster reports on the same port as the first node.
        /// </summary>
        [Parameter(ParameterSetName = KeyFileSet)]
        [Parameter(ParameterSetName = CredentialSet)]
        [ValidateNotNull]
        public Hashtable? NodeEndpoint { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = SimulatorSet)]
        public SwitchParameter Simulator { get; set; }

        /// <summary>With -Simulator: a simulated cluster of these nodes (one state, VMIDs unique across them); -Node picks the one connected to.</summary>
        [Parameter(ParameterSetName = SimulatorSet)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Node)]
        public string[]? ClusterNode { get; set; }

        [Parameter(ParameterSetName = SimulatorSet)]
        [ValidateNotNullOrEmpty]
        public string? StatePath { get; set; }

        [Parameter(ParameterSetName = SimulatorSet)]
        public SwitchParameter EmptyNode { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Node)]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        public string? Node { get; set; }

        [Parameter]
        public SwitchParameter NoDefault { get; set; }

        protected override void ProcessRecord()
        {
            PhoenixSession session;
            if (ParameterSetName == SimulatorSet)
            {
                var state = StatePath == null ? null : GetUnresolvedProviderPathFromPSPath(StatePath);
                session = SessionFactory.CreateSimulator(state, Node ?? ClusterNode?[0] ?? "pve", EmptyNode.IsPresent, ClusterNode);
            }
            else
            {
                var options = BuildOptions();
                var reach = BuildReach();
                var target = $"{HostName}:{Port}";
                WriteVerbose($"Connecting to {options.UserName}@{target} ...");
                try
                {
                    session = RunAsync(ct => SessionFactory.ConnectAsync(options, Node, reach, ct));
                }
                catch (PhoenixException e)
                {
                    // Non-terminating, like any failed item: a script connecting to several hosts goes on.
                    WriteError(ErrorMapper.ToErrorRecord(e, HostName));
                    return;
                }
            }
            SessionStore.Add(session, makeDefault: !NoDefault.IsPresent);
            WriteObject(session);
        }

        // -NodeHostKeyFingerprint and -NodeEndpoint as the factory takes them; a bad entry stops here, naming the node.
        private NodeReach BuildReach()
        {
            var reach = new NodeReach();
            foreach (DictionaryEntry e in NodeHostKeyFingerprint ?? new Hashtable())
            {
                var node = Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                var value = Convert.ToString(e.Value, System.Globalization.CultureInfo.InvariantCulture);
                if (!ProxmoxNames.IsValidNodeName(node) || string.IsNullOrWhiteSpace(value))
                {
                    ThrowTerminatingError(new ErrorRecord(new ArgumentException(
                        $"-NodeHostKeyFingerprint: '{node}' needs a valid node name and a fingerprint (SHA256:...)."), ErrorIds.InvalidNodeHostKeyFingerprint,
                        ErrorCategory.InvalidArgument, node));
                }
                reach.Fingerprints[node] = value!;
            }
            foreach (DictionaryEntry e in NodeEndpoint ?? new Hashtable())
            {
                var node = Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                try
                {
                    if (!ProxmoxNames.IsValidNodeName(node)) throw new FormatException($"'{node}' is not a valid node name.");
                    reach.Endpoints[node] = SessionFactory.ParseEndpoint(Convert.ToString(e.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                }
                catch (FormatException f)
                {
                    ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-NodeEndpoint, node '{node}': {f.Message}"), ErrorIds.InvalidNodeEndpoint,
                        ErrorCategory.InvalidArgument, node));
                }
            }
            return reach;
        }

        private SshConnectionOptions BuildOptions()
        {
            var options = new SshConnectionOptions
            {
                HostName = HostName,
                Port = Port,
                ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeoutSec),
                HostKeyFingerprint = HostKeyFingerprint,
                AcceptNewHostKey = AcceptNewHostKey.IsPresent,
                UseSudo = UseSudo.IsPresent,
            };
            if (KnownHostsPath != null) options.KnownHostsPath = GetUnresolvedProviderPathFromPSPath(KnownHostsPath);

            if (ParameterSetName == CredentialSet)
            {
                var net = Credential!.GetNetworkCredential();
                options.UserName = Credential.UserName;
                options.Password = net.Password;
            }
            else
            {
                options.UserName = UserName;
                // Without -KeyFile the engine tries the usual keys (SshConnectionOptions), skipping one it cannot open.
                options.KeyFile = KeyFile != null ? GetUnresolvedProviderPathFromPSPath(KeyFile) : null;
                if (KeyPassphrase != null) options.KeyPassphrase = new NetworkCredential(string.Empty, KeyPassphrase).Password;
            }
            return options;
        }
    }
}
