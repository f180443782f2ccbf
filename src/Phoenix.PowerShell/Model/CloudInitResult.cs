using System;
using System.Collections.Generic;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;

namespace Phoenix.PowerShell
{
    /// <summary>
    /// What Set-PhoenixCloudInit did to one VM. Carries VmId, Spec and Session, so it pipes into
    /// Start-PhoenixVm and the other VM cmdlets by property name. A status, never the content: paths, hashes
    /// and what changed, but not the rendered files, whose user-data can hold the password hash (ConvertTo-Json,
    /// Export-Clixml or a CI log of this object must not write it out). ConvertTo-PhoenixCloudInit shows the files.
    /// </summary>
    public sealed class CloudInitResult
    {
        internal CloudInitResult(CloudInitApplyResult applied, VmSpec spec, PhoenixSession session)
        {
            VmId = applied.VmId;
            Name = spec.Name;
            Node = session.Node;
            Storage = applied.Storage;
            UserDataFile = applied.UserDataFile;
            NetworkConfigFile = applied.NetworkConfigFile;
            Hash = applied.Hash;
            UserDataHash = applied.UserDataHash;
            NetworkConfigHash = applied.NetworkConfigHash;
            InstanceId = applied.InstanceId;
            Cicustom = applied.Cicustom;
            Uploaded = applied.Uploaded;
            CicustomSet = applied.CicustomSet;
            DriveAdded = applied.DriveAdded;
            Regenerated = applied.Regenerated;
            InstanceIdChanged = applied.InstanceIdChanged;
            Changes = applied.Changes;
            Spec = spec;
            Session = session;
        }

        public int VmId { get; }
        public string? Name { get; }
        public string Node { get; }
        /// <summary>The storage that holds the snippets.</summary>
        public string Storage { get; }
        /// <summary>Full host path of user-data-&lt;VMID&gt;.yml.</summary>
        public string UserDataFile { get; }
        /// <summary>Full host path of network-config-&lt;VMID&gt;.yml.</summary>
        public string NetworkConfigFile { get; }
        /// <summary>SHA-256 over both files.</summary>
        public string Hash { get; }
        /// <summary>SHA-256 of the user-data file, as sha256sum prints it on the host.</summary>
        public string UserDataHash { get; }
        /// <summary>SHA-256 of the network-config file.</summary>
        public string NetworkConfigHash { get; }
        /// <summary>The instance-id Proxmox gives cloud-init for these files (SHA-1 of user-data and network-config).</summary>
        public string InstanceId { get; }
        /// <summary>The VM's cicustom value after the run.</summary>
        public string Cicustom { get; }
        /// <summary>Host paths uploaded by this run (empty when the files were already there).</summary>
        public IReadOnlyList<string> Uploaded { get; }
        /// <summary>True when qm set --cicustom ran.</summary>
        public bool CicustomSet { get; }
        /// <summary>The cloud-init drive added because the VM had none (ide2), or null.</summary>
        public string? DriveAdded { get; }
        /// <summary>True when qm cloudinit update regenerated the drive.</summary>
        public bool Regenerated { get; }
        /// <summary>
        /// True when what cloud-init reads changed: its instance-id changed, so cloud-init runs its first-boot steps
        /// (users, SSH keys, packages, runcmd) again at the VM's next start.
        /// </summary>
        public bool InstanceIdChanged { get; }
        /// <summary>What changed, one line each.</summary>
        public IReadOnlyList<string> Changes { get; }
        public bool Changed => Changes.Count > 0;
        public VmSpec Spec { get; }
        public PhoenixSession Session { get; }

        public override string ToString() => $"{VmId} ({Name}): cloud-init {(Changed ? "changed" : "unchanged")}";
    }
}
