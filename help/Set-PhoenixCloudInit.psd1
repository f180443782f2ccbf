@{
    Synopsis    = 'Renders a VM''s cloud-init, uploads the snippets that changed and points the VM''s cicustom at them.'
    Description = @'
Set-PhoenixCloudInit gives a VM its own cloud-init through Proxmox snippets. The VM comes either as a VmSpec (parameter set Spec: from Import-PhoenixConfig or New-PhoenixVm, through the pipeline) or as pieces on the command line (parameter set Pieces: -VmId, -HostName, -UserName, -SshPublicKey and optionally -PasswordHash, -IpAddress, -Gateway or -Dhcp, -Nameserver, -SearchDomain), for an admin without a config file.

The pieces are built into a VmSpec and checked by exactly the rules a config file gets (see about_Phoenix_Config) before anything touches the host, -WhatIf included: a bad address, a gateway outside the subnet of -IpAddress, a plain password instead of a crypt hash, an SSH key that does not parse, a hostname that is not a DNS name. Each problem is a non-terminating error (ID = the rule, such as GatewayOutsideSubnet or PasswordHashFormat; category InvalidArgument; target the VMID) whose message names the parameter (-Gateway, not network_config.gw) and says how to fix it; all of them are reported at once, and then nothing is done for that VM. Giving no -IpAddress and no -Dhcp means DHCP, as a config file without network_config does. The pieces render exactly what the same values in a config file render.

For each VM it:

1. renders user-data-<VMID>.yml and network-config-<VMID>.yml (as ConvertTo-PhoenixCloudInit does);
2. checks that the storage (-SnippetStorage, default local) exists and holds snippets. A storage without them is a SnippetsNotEnabled error whose message gives the command that enables them (pvesm set <storage> --content <its content>,snippets); a block storage such as lvmthin cannot hold them and the error names the storages that can;
3. finds the files' paths with pvesm path <storage>:snippets/<file>, compares the SHA-256 of what is on the host with what was rendered, and uploads only what differs, atomically: through the SSH command channel into a temporary file that mktemp creates with mode 0600 under umask 077 in the snippets directory, then renamed over the target, so the file is never readable by others, not even for a moment;
4. runs qm set <VMID> --cicustom 'user=<storage>:snippets/user-data-<VMID>.yml,network=<storage>:snippets/network-config-<VMID>.yml' only when the VM's cicustom differs (a meta= or vendor= snippet already set is kept);
5. adds a cloud-init drive (ide2 on the storage of the boot disk) when the VM has none;
6. regenerates the cloud-init drive with qm cloudinit update when anything changed.

A second run with the same spec changes nothing and runs only reads. The result (Phoenix.PowerShell.CloudInitResult) says what changed: Uploaded, CicustomSet, DriveAdded, Regenerated, Changed and Changes, with the file paths and hashes. It is a status, not the content: it never holds the rendered files (the user-data can carry the password hash), so ConvertTo-Json, Export-Clixml or a CI log of it writes no secret; ConvertTo-PhoenixCloudInit shows the files themselves. It carries VmId, Spec and Session, so it pipes into Start-PhoenixVm.

When the content changes, the instance-id Proxmox gives cloud-init (the SHA-1 of user-data and network-config) changes too, so cloud-init runs its first-boot steps (users, SSH keys, packages, runcmd) again at the VM's next start. InstanceIdChanged says so, and a warning is written when a VM's own earlier snippets are replaced.

-WhatIf prints the rendered files' names, their SHA-256 and target paths, and the exact commands and file writes that would run, and changes nothing. Every command is written to the Verbose stream before it runs; file contents never are.
'@
    Parameters  = @{
        Spec         = 'The VM whose cloud-init to apply, as Import-PhoenixConfig emits it. Binds from the pipeline by value (a VmSpec) or by property name (the Spec property of PhoenixVm, so New-PhoenixVm output pipes in).'
        VmId         = 'The VM to apply to. With -Spec it is optional: it binds by property name from the piped object and must equal the spec''s VMID (the snippet files are named after it); a mismatch is a VmIdMismatch error. With the pieces it is mandatory and is the VM whose cloud-init is set (100 to 999999999); the VM must exist.'
        HostName     = 'Pieces: the guest''s hostname, a DNS name (it is the spec''s name; a name with dots is the FQDN and the part before the first dot the hostname, as Proxmox does). Mandatory.'
        UserName     = 'Pieces: the login user cloud-init creates, with sudo (a Linux user name: lower-case letters, digits, _ and -, starting with a letter or _). Mandatory.'
        SshPublicKey = 'Pieces: one or more OpenSSH public keys for that user, each the whole line of a .pub file (type, key data, optional comment), for example (Get-Content ~/.ssh/id_ed25519.pub). Each must parse; a damaged key is refused naming -SshPublicKey. Mandatory.'
        PasswordHash = 'Pieces: the user''s password as a crypt hash ($6$... from mkpasswd -m sha-512 or openssl passwd -6; $5$, $y$ and $2b$ work too), as a SecureString, like every Phoenix secret: Read-Host -AsSecureString keeps it off the screen, out of the history and out of transcripts, or ConvertTo-SecureString $hash -AsPlainText -Force in a script. A plain password is refused (PasswordHashFormat) and the value is never shown, in errors, Verbose output or the result. Without it the password stays locked and only the keys log in.'
        IpAddress    = 'Pieces: a static IPv4 address with its prefix length (10.0.0.101/24). Leave it out (or give -Dhcp) for DHCP. Not together with -Dhcp (DhcpWithIpAddress).'
        Gateway      = 'Pieces: the default gateway of -IpAddress (10.0.0.1). It must be inside the subnet of -IpAddress (GatewayOutsideSubnet otherwise) and is refused with -Dhcp (GatewayWithDhcp).'
        Dhcp         = 'Pieces: the VM takes its address by DHCP. This is also what happens without -IpAddress; the switch says it explicitly.'
        Nameserver   = 'Pieces: DNS servers, in order, as IP addresses. Several as a list (-Nameserver 1.1.1.1,8.8.8.8) or in one string separated by spaces, commas or semicolons.'
        SearchDomain = 'Pieces: DNS search domains (lab.example); the first also makes the FQDN of a hostname without dots.'
        SnippetStorage = 'The Proxmox storage whose snippets directory receives the files. It must have the snippets content type (pvesm status --content snippets lists those). Default: local. The same parameter as Deploy-PhoenixVm -SnippetStorage; -Storage, its first name, still works as an alias.'
        TemplatePath = 'A folder with your own user-data.template.yml and/or network-config.template.yml, used instead of the bundled templates.'
        Force        = 'Upload the files, set cicustom and regenerate the drive even when everything is already as rendered.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec (the Spec set; the pieces take no pipeline input)', 'Phoenix.PowerShell.PhoenixVm and other objects with Spec, VmId and Session properties')
    Examples    = @(
        @{
            Title   = 'Build and start a VM'
            Code    = "Import-PhoenixConfig ./cfg.json | Where-Object VmId -eq 202 | New-PhoenixVm | Set-PhoenixCloudInit | Start-PhoenixVm"
            Remarks = 'Clones VM 202 (unless it exists), uploads its snippets to local, sets cicustom, regenerates its cloud-init drive and starts it. Run again, it changes nothing.'
        }
        @{
            Title   = 'Without a config file'
            Code    = "`$hash = Read-Host -AsSecureString 'Password hash (mkpasswd -m sha-512)'`nSet-PhoenixCloudInit -VmId 101 -HostName web-01 -UserName phoenix -SshPublicKey (Get-Content ~/.ssh/id_ed25519.pub) -PasswordHash `$hash -IpAddress 10.0.0.101/24 -Gateway 10.0.0.1 -Nameserver 1.1.1.1,8.8.8.8 -SearchDomain lab.example"
            NotRun  = 'asks for the password hash (Read-Host)'
            Remarks = 'Gives VM 101 the hostname web-01 (FQDN web-01.lab.example), user phoenix with that key and password hash, and a static address, checked first by the config file''s rules. Add -WhatIf to see the files and the qm set command first; use -Dhcp instead of -IpAddress and -Gateway for DHCP.'
        }
        @{
            Title   = 'See the plan'
            Code    = "Import-PhoenixConfig ./cfg.json | Set-PhoenixCloudInit -SnippetStorage nfs-snippets -WhatIf"
            NotRun  = 'needs a storage nfs-snippets that holds snippets, which the simulator does not have'
            Remarks = 'For each VM prints the two file names with their SHA-256 and paths, then the file writes and the exact qm set --cicustom and qm cloudinit update lines that would run (or that nothing would change).'
        }
        @{
            Title   = 'Try it without a Proxmox host'
            Code    = "Connect-PhoenixHost -Simulator`nImport-PhoenixConfig ./examples/phoenix.example.json | Where-Object IsTemplate | Set-PhoenixCloudInit -Verbose"
            Remarks = 'Applies the template''s cloud-init on the in-process simulator; Verbose shows each pvesm, qm and upload step.'
        }
    )
    Links       = @('ConvertTo-PhoenixCloudInit', 'Import-PhoenixConfig', 'Start-PhoenixVm', 'about_Phoenix_Config')
}
