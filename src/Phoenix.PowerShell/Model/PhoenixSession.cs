using System;
using Phoenix.Engine.Transport;

namespace Phoenix.PowerShell
{
    /// <summary>
    /// A connection to one Proxmox VE node, made by Connect-PhoenixHost. Every cmdlet takes it with
    /// -Session, or uses the default session. One SSH connection per session carries every command
    /// and file transfer.
    /// </summary>
    public sealed class PhoenixSession : IDisposable
    {
        private static int s_nextId;

        internal PhoenixSession(IHostConnection connection, string node, bool isSimulator)
        {
            Connection = connection;
            Node = node;
            IsSimulator = isSimulator;
            Id = System.Threading.Interlocked.Increment(ref s_nextId);
        }

        /// <summary>A number that tells sessions apart in this PowerShell session.</summary>
        public int Id { get; }

        public string HostName => Connection.HostName;

        public int Port => Connection.Port;

        public string UserName => Connection.UserName;

        /// <summary>The Proxmox node name of the host (`hostname` on the host).</summary>
        public string Node { get; }

        /// <summary>The verified host key, as `ssh-keygen -lf` prints it (SHA256:...).</summary>
        public string? HostKeyFingerprint => Connection.HostKeyFingerprint;

        public bool IsConnected => Connection.IsConnected;

        /// <summary>True for the in-process simulator (no host at all).</summary>
        public bool IsSimulator { get; }

        /// <summary>True when every host command runs through <c>sudo -n</c> (Connect-PhoenixHost -UseSudo).</summary>
        public bool UseSudo => Connection is SshHostConnection ssh && ssh.UseSudo;

        internal IHostConnection Connection { get; }

        /// <summary>True once Disconnect-PhoenixHost closed it (a dropped connection is not closed: the next command reconnects).</summary>
        internal bool IsClosed { get; private set; }

        public void Dispose()
        {
            IsClosed = true;
            Connection.Dispose();
        }

        public override string ToString() =>
            IsSimulator ? $"simulator ({Node})" : $"{UserName}@{HostName}:{Port} ({Node}{(UseSudo ? ", sudo" : "")})";
    }
}
