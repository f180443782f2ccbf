@{
    Synopsis    = 'Connects to a Proxmox VE host over SSH, or to the built-in simulator, and makes it the default session.'
    Description = @'
Connect-PhoenixHost opens one SSH connection to a Proxmox VE node. Every Phoenix cmdlet then runs its qm, pvesm and pvesh commands and its file transfers through that one connection; it is reused for everything and by every VM of a parallel deploy.

The host key is always verified and the check fails closed: either the key matches the fingerprint given with -HostKeyFingerprint, or it is found in a known_hosts file (~/.ssh/known_hosts unless -KnownHostsPath says otherwise). An unknown key is refused with an error that prints its fingerprint and how to pin it; -AcceptNewHostKey adds an unknown key to known_hosts, as OpenSSH's StrictHostKeyChecking=accept-new does. A key that differs from a known one is always refused.

You log in by key (-KeyFile, an OpenSSH private key, with -KeyPassphrase when it is encrypted; by default each of ~/.ssh/id_ed25519, id_ecdsa and id_rsa that exists and opens, with -KeyPassphrase for encrypted ones, as ssh does without an agent) or by password (-Credential). The node name is read from the host (its short host name) unless -Node gives it.

With -Simulator no host is needed at all: Phoenix connects to an in-process Proxmox VE simulator that answers like a real node, with a base template VM 9000. Guest commands are never run on your machine there; they are recorded. This is the way to try Phoenix, and what the README's demo uses.

Many sites forbid root logins over SSH. -UseSudo is for a login user who is not root: every host command then runs as `sudo -n -- <command>`, and cloud-init snippets are written (and read and deleted) through sudo as well, created by root with mode 0600 in the snippets directory itself, never through a file the login user could read. The user needs a sudoers rule that lets it run Phoenix's commands without a password (NOPASSWD): qm, pvesm, pvesh, hostname and sh, or simply `phoenix ALL=(root) NOPASSWD: ALL` in /etc/sudoers.d/phoenix. When sudo wants a password or refuses, the error (SudoRefused) names the command and quotes sudo, for example "sudo on pve1:22 did not run hostname for 'phoenix': sudo: a password is required", and the command did not run. The switch is called -UseSudo because that is what it does, with the verb PowerShell uses for such switches (-UseSSL, -UseDefaultCredentials); Phoenix only ever asks sudo for root.

A node in a Proxmox VE cluster brings the cluster along: Connect-PhoenixHost reads `pvesh get /cluster/status` once and the session knows every node, its address and whether it is online (the session's Nodes; Get-PhoenixHost reads them again). A connection to another node is opened only when one of that node's VMs needs it, with the same credentials and the same host-key rules: the node's own pinned fingerprint from -NodeHostKeyFingerprint, else known_hosts (or -AcceptNewHostKey); the fingerprint of -HostKeyFingerprint pins only the node connected to, never another. A node is reached at the address the cluster reports, on the same port, unless -NodeEndpoint says where. A node the cluster reports offline is an error naming the node (NodeDown). A host that cannot answer /cluster/status (not a Proxmox node, or pvesh refused) is taken as a node alone.

Each command is written to the Verbose stream before it runs, with secrets replaced by <redacted>.
'@
    Parameters  = @{
        HostName          = 'The host name or IP address of the Proxmox VE node.'
        Port              = 'The SSH port. Default: 22.'
        UserName          = 'The user to log in as with a key. Default: root. With -Credential, the credential''s user name is used.'
        KeyFile           = 'The OpenSSH private key file to log in with. Default: every one of ~/.ssh/id_ed25519, ~/.ssh/id_ecdsa, ~/.ssh/id_rsa that exists and can be opened (an encrypted one with -KeyPassphrase); the host accepts whichever it knows.'
        KeyPassphrase     = 'The passphrase of an encrypted key file.'
        Credential        = 'A user name and password to log in with, instead of a key.'
        HostKeyFingerprint = 'The host key fingerprint to accept, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the host (SHA256:...). When given, known_hosts is not consulted.'
        KnownHostsPath    = 'The known_hosts file to check the host key against (and to add it to with -AcceptNewHostKey). Default: ~/.ssh/known_hosts.'
        AcceptNewHostKey  = 'Accept the key of a host that is not yet in known_hosts and add it there. A changed key is still refused.'
        ConnectTimeoutSec = 'How long to wait for the TCP connection and the SSH handshake, in seconds. Default: 15.'
        Simulator         = 'Connect to the in-process Proxmox VE simulator instead of a host.'
        StatePath         = 'With -Simulator: a folder that keeps the simulated node''s state between sessions. Default: in memory.'
        EmptyNode         = 'With -Simulator: start with a node that has no VMs (no base template 9000).'
        Node              = 'The Proxmox node name. Default: read from the host (`hostname`), or pve for the simulator.'
        NoDefault         = 'Do not make this session the default one.'
        NodeHostKeyFingerprint = 'For the other nodes of a cluster: a hashtable of node name to pinned host key fingerprint (SHA256:...), for example @{ pve2 = ''SHA256:...''; pve3 = ''SHA256:...'' }. A node without one is checked against known_hosts, or accepted once with -AcceptNewHostKey.'
        NodeEndpoint      = 'For the other nodes of a cluster: a hashtable of node name to where to reach it over SSH ("host", "host:port" or "[address]:port"). Default: the address /cluster/status reports, on -Port.'
        ClusterNode       = 'With -Simulator: simulate a cluster of these nodes (one shared state, VMIDs unique across them, template 9000 on the first); -Node picks the node connected to (default: the first).'
        UseSudo           = 'Run every host command through `sudo -n` (for a login user who is not root), and write, read and delete files through sudo too. sudo must not ask for a password: a refusal is an error that names the command (SudoRefused).'
    }
    Inputs      = @('None')
    Examples    = @(
        @{
            Title   = 'Connect with a key and a pinned host key'
            Code    = "Connect-PhoenixHost -HostName pve1.example.com -KeyFile ~/.ssh/id_ed25519 -HostKeyFingerprint 'SHA256:Qm1mQ0gBrXq8gQ8s1Lq8d2xG0r6kYw2o1vE2cN7h3xQ'"
            NotRun  = 'connects to a real Proxmox host over SSH with a key file'
            Remarks = 'Logs in as root with the key and accepts only the host key with that fingerprint. The session becomes the default for the cmdlets that follow.'
        }
        @{
            Title   = 'Try Phoenix without a host'
            Code    = "Connect-PhoenixHost -Simulator`nGet-PhoenixHost"
            Remarks = 'Connects to the in-process simulator, a node called pve with the base template VM 9000.'
        }
        @{
            Title   = 'A simulated three-node cluster'
            Code    = "`$s = Connect-PhoenixHost -Simulator -ClusterNode pve1, pve2, pve3 -NoDefault`n`$s.Nodes | Format-Table Name, Address, IsOnline, IsConnected`n`$s | Disconnect-PhoenixHost"
            Remarks = 'Lists the three nodes; only pve1, the node connected to, has a connection until one of the others'' VMs needs one.'
        }
        @{
            Title   = 'A cluster with each node''s host key pinned'
            Code    = "Connect-PhoenixHost -HostName pve1.example.com -HostKeyFingerprint 'SHA256:Qm1mQ0gBrXq8gQ8s1Lq8d2xG0r6kYw2o1vE2cN7h3xQ' -NodeHostKeyFingerprint @{ pve2 = 'SHA256:k0bYl1R3u2oE8a4N5dQ6wT7yZ9x1c2v3b4n5m6q7w8e'; pve3 = 'SHA256:Zy8xW7v6U5t4S3r2Q1p0O9n8M7l6K5j4I3h2G1f0E9d' }"
            NotRun  = 'connects to a real Proxmox cluster over SSH'
            Remarks = 'pve1 is checked against its own fingerprint; pve2 and pve3 against theirs, when a VM of theirs is first worked on.'
        }
        @{
            Title   = 'First contact with a new host'
            Code    = 'Connect-PhoenixHost -HostName 192.0.2.10 -Credential (Get-Credential root) -AcceptNewHostKey'
            NotRun  = 'asks for a password (Get-Credential) and connects to a real host'
            Remarks = 'Logs in with a password and records the host key in ~/.ssh/known_hosts. Later connections check against it.'
        }
    )
    Links       = @('Get-PhoenixHost', 'Disconnect-PhoenixHost')
}
