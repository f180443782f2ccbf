using System;
using System.IO;
using System.Management.Automation;
using System.Net;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;
using Phoenix.PowerShell.Infrastructure;

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

        [Parameter(Mandatory = true, ParameterSetName = SimulatorSet)]
        public SwitchParameter Simulator { get; set; }

        [Parameter(ParameterSetName = SimulatorSet)]
        [ValidateNotNullOrEmpty]
        public string? StatePath { get; set; }

        [Parameter(ParameterSetName = SimulatorSet)]
        public SwitchParameter EmptyNode { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Node { get; set; }

        [Parameter]
        public SwitchParameter NoDefault { get; set; }

        protected override void ProcessRecord()
        {
            PhoenixSession session;
            if (ParameterSetName == SimulatorSet)
            {
                var state = StatePath == null ? null : GetUnresolvedProviderPathFromPSPath(StatePath);
                session = SessionFactory.CreateSimulator(state, Node ?? "pve", EmptyNode.IsPresent);
            }
            else
            {
                var options = BuildOptions();
                var target = $"{HostName}:{Port}";
                WriteVerbose($"Connecting to {options.UserName}@{target} ...");
                try
                {
                    session = RunAsync(ct => SessionFactory.ConnectAsync(options, Node, ct));
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

        private SshConnectionOptions BuildOptions()
        {
            var options = new SshConnectionOptions
            {
                HostName = HostName,
                Port = Port,
                ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeoutSec),
                HostKeyFingerprint = HostKeyFingerprint,
                AcceptNewHostKey = AcceptNewHostKey.IsPresent,
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
                options.KeyFile = KeyFile != null ? GetUnresolvedProviderPathFromPSPath(KeyFile) : FindDefaultKey();
                if (KeyPassphrase != null) options.KeyPassphrase = new NetworkCredential(string.Empty, KeyPassphrase).Password;
            }
            return options;
        }

        // Like OpenSSH, use the first of the user's usual keys when none is named.
        private string FindDefaultKey()
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            foreach (var name in new[] { "id_ed25519", "id_ecdsa", "id_rsa" })
            {
                var path = Path.Combine(home, ".ssh", name);
                if (File.Exists(path)) return path;
            }
            Terminate(new PhoenixException(PhoenixErrorKind.InvalidArgument, "NoKeyFile",
                $"No key file was given and none of ~/.ssh/id_ed25519, id_ecdsa, id_rsa exists. Pass -KeyFile <path> or -Credential.",
                HostName) { RecommendedAction = "Pass -KeyFile <private key> or -Credential (Get-Credential root)." });
            return "";
        }
    }
}
