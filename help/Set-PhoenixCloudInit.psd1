@{
    Synopsis    = 'Renders a VM''s cloud-init, uploads the snippets that changed and points the VM''s cicustom at them.'
    Description = @'
Set-PhoenixCloudInit gives a VM its own cloud-init through Proxmox snippets. For each VmSpec it:

1. renders user-data-<VMID>.yml and network-config-<VMID>.yml (as ConvertTo-PhoenixCloudInit does);
2. checks that the storage (-Storage, default local) exists and holds snippets. A storage without them is a SnippetsNotEnabled error whose message gives the command that enables them (pvesm set <storage> --content <its content>,snippets); a block storage such as lvmthin cannot hold them and the error names the storages that can;
3. finds the files' paths with pvesm path <storage>:snippets/<file>, compares the SHA-256 of what is on the host with what was rendered, and uploads only what differs, atomically (temporary name, then rename) over SFTP with mode 0600;
4. runs qm set <VMID> --cicustom 'user=<storage>:snippets/user-data-<VMID>.yml,network=<storage>:snippets/network-config-<VMID>.yml' only when the VM's cicustom differs (a meta= or vendor= snippet already set is kept);
5. adds a cloud-init drive (ide2 on the storage of the boot disk) when the VM has none;
6. regenerates the cloud-init drive with qm cloudinit update when anything changed.

A second run with the same spec changes nothing and runs only reads. The result (Phoenix.PowerShell.CloudInitResult) says what changed: Uploaded, CicustomSet, DriveAdded, Regenerated, Changed and Changes, with the file paths and hashes. It carries VmId, Spec and Session, so it pipes into Start-PhoenixVm.

When the content changes, the instance-id Proxmox gives cloud-init (the SHA-1 of user-data and network-config) changes too, so cloud-init runs its first-boot steps (users, SSH keys, packages, runcmd) again at the VM's next start. InstanceIdChanged says so, and a warning is written when a VM's own earlier snippets are replaced.

-WhatIf prints the rendered files' names, their SHA-256 and target paths, and the exact commands and file writes that would run, and changes nothing. Every command is written to the Verbose stream before it runs; file contents never are.
'@
    Parameters  = @{
        Spec         = 'The VM whose cloud-init to apply, as Import-PhoenixConfig emits it. Binds from the pipeline by value (a VmSpec) or by property name (the Spec property of PhoenixVm, so New-PhoenixVm output pipes in).'
        VmId         = 'The VM to apply to. Optional: it binds by property name from the piped object and must equal the spec''s VMID (the snippet files are named after it); a mismatch is a VmIdMismatch error.'
        Storage      = 'The Proxmox storage whose snippets directory receives the files. It must have the snippets content type (pvesm status --content snippets lists those). Default: local.'
        TemplatePath = 'A folder with your own user-data.template.yml and/or network-config.template.yml, used instead of the bundled templates.'
        Force        = 'Upload the files, set cicustom and regenerate the drive even when everything is already as rendered.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec', 'Phoenix.PowerShell.PhoenixVm and other objects with Spec, VmId and Session properties')
    Examples    = @(
        @{
            Title   = 'Build and start a VM'
            Code    = "Import-PhoenixConfig ./cfg.json | Where-Object VmId -eq 1001 | New-PhoenixVm | Set-PhoenixCloudInit | Start-PhoenixVm"
            Remarks = 'Clones VM 1001, uploads its snippets to local, sets cicustom, regenerates its cloud-init drive and starts it. Run again, it changes nothing.'
        }
        @{
            Title   = 'See the plan'
            Code    = "Import-PhoenixConfig ./cfg.json | Set-PhoenixCloudInit -Storage nfs-snippets -WhatIf"
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
