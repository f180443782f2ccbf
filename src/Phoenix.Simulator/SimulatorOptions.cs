using System;
using System.Collections.Generic;
using Phoenix.Simulator.Faults;
using Phoenix.Simulator.Guest;

namespace Phoenix.Simulator
{
    /// <summary>How to build a simulated Proxmox VE node.</summary>
    public sealed class SimulatorOptions
    {
        /// <summary>
        /// A folder to keep the node in (shared by every process that opens it, like the fake host's
        /// commands), or null to keep it in memory. A folder that already holds a node keeps its own
        /// node name, time zone and timeouts; the values here only seed a new one.
        /// </summary>
        public string? StateDirectory { get; set; }

        /// <summary>The node's name; in a cluster, the member this simulator answers as (default: the first).</summary>
        public string NodeName { get; set; } = "pve";

        /// <summary>
        /// The members of a cluster to seed (for example pve1, pve2, pve3): one /etc/pve for all, a VM owned by
        /// one node, VMIDs unique cluster-wide. Empty (the default): a lone node named <see cref="NodeName"/>,
        /// which reports itself as Proxmox reports a node in no cluster.
        /// </summary>
        public IList<string> ClusterNodes { get; } = new List<string>();

        /// <summary>The cluster's name (corosync's cluster_name).</summary>
        public string ClusterName { get; set; } = "phoenix";

        /// <summary>Node addresses by name (corosync's ring0_addr); the rest get 10.0.0.11, 10.0.0.12, ... in order.</summary>
        public IDictionary<string, string> NodeAddresses { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>The folder of a cluster's shared NFS storage `shared` (the same for every node).</summary>
        public string SharedStoragePath { get; set; } = "/mnt/pve/shared";

        /// <summary>
        /// The path of the `local` directory storage (Proxmox's /var/lib/vz). The fake host sets it to a real
        /// folder inside the state folder, so that files its sshd receives at the paths `pvesm path`
        /// prints are the files the simulator reads. `{node}` in it stands for each node's name (a cluster's
        /// nodes each have their own `local`).
        /// </summary>
        public string LocalStoragePath { get; set; } = "/var/lib/vz";

        /// <summary>
        /// Extra ZFS pool storages (type zfspool, content images,rootdir) to seed besides local and local-lvm:
        /// ZFS clones only from template bases, so tests can show Proxmox refusing a clone from a snapshot.
        /// </summary>
        public IList<string> ZfsStorages { get; } = new List<string>();

        /// <summary>
        /// Storage ID to the nodes it is enabled on (storage.cfg <c>nodes</c>, comma-separated), for seeded storages: elsewhere
        /// <c>pvesm status</c> lists it disabled and Proxmox refuses to put a volume there.
        /// </summary>
        public IDictionary<string, string> StorageNodes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>
        /// VMID to name of stopped VMs seeded on the first node with an ISO image of local storage in their cdrom drive
        /// (<c>ide2: local:iso/NAME.iso,media=cdrom</c>, the image written there): Proxmox neither clones them with
        /// <c>--target</c> nor migrates them (a local cdrom image).
        /// </summary>
        public IDictionary<int, string> CdromVms { get; } = new Dictionary<int, string>();

        /// <summary>
        /// Seed no guests (no template VM 9000, no containers). The storages <c>local</c> and
        /// <c>local-lvm</c> are always there: they are part of a Proxmox installation, not of its guests.
        /// </summary>
        public bool Empty { get; set; }

        /// <summary>How long after <c>qm start</c> the guest agent starts to answer (fault plans may override).</summary>
        public TimeSpan AgentStartupDelay { get; set; } = TimeSpan.FromSeconds(2);

        /// <summary>The time source (snapshot times, agent delay, latency, guest command durations).</summary>
        public ISimulatorClock Clock { get; set; } = SystemSimulatorClock.Instance;

        /// <summary>What runs guest commands; null means a new <see cref="RecordingGuestRunner"/>.</summary>
        public IGuestRunner? GuestRunner { get; set; }

        /// <summary>The per-VM config lock timeout Proxmox uses for most commands (10 s); shorten it in tests.</summary>
        public TimeSpan ConfigLockTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>The lock timeout of <c>qm clone</c> for source and target (Proxmox: 1 s).</summary>
        public TimeSpan CloneLockTimeout { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>How often <c>qm guest exec</c> polls the agent (Proxmox: 1 s; shorter keeps tests fast).</summary>
        public TimeSpan GuestExecPollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

        /// <summary>The node's time zone (IANA id), used where Proxmox prints local time (listsnapshot).</summary>
        public string TimeZone { get; set; } = "UTC";

        /// <summary>The node's /etc/resolv.conf nameservers, used by cloud-init when a VM sets none.</summary>
        public IList<string> HostNameservers { get; } = new List<string> { "10.0.0.1" };

        /// <summary>The node's /etc/resolv.conf search domain.</summary>
        public string HostSearchDomain { get; set; } = "localdomain";

        /// <summary>LXC containers to seed (their configs are written; the simulator does not run them).</summary>
        public IList<SimulatedContainer> Containers { get; } = new List<SimulatedContainer>();

        /// <summary>The in-process fault plan (a state folder's faults.json takes precedence when present).</summary>
        public FaultPlan? Faults { get; set; }

        /// <summary>Seed for MAC addresses, UUIDs and pids, for reproducible runs; null for random.</summary>
        public int? RandomSeed { get; set; }
    }
}
