@{
    Synopsis    = 'Creates a VM by cloning, as its config entry says, or brings an existing one in line.'
    Description = @'
New-PhoenixVm makes one VM per VmSpec (from Import-PhoenixConfig) or from parameters. The clone source follows the seed's workflow: clone_from_vmid when set (from that VM's template_snapshot_name snapshot when the source is in the same pipeline or config, has one and is not a template), else template_vmid, else the base template (-DefaultTemplateVmId, 9000). Proxmox decides linked or full unless -FullClone says: linked from a template, full from an ordinary VM. A full clone goes to storage_pool when it is set.

Then the dynamic configuration: cores, memory, onboot (start_at_boot), startup order and delay (boot_order, boot_delay), the QEMU guest agent (agent: 1), the bridge of net0 (its MAC is kept), qm_options, and the boot disk grown to disk_size_gb (Proxmox cannot shrink a disk: a smaller size is a warning). Only what differs is set, so a re-run reports the VM unchanged. A clone that lost its cloud-init drive gets one again.

A VM that already exists with the spec's name is left in place and brought in line; one with another name is an error naming both: Phoenix never takes over another VM's ID.

-WhatIf prints the exact qm commands (clone, set, resize) and changes nothing. Locks (VM is locked (clone), can't lock file ... got timeout) are waited out with backoff and shown as progress. Cloud-init is Set-PhoenixCloudInit's job; the output (PhoenixVm, carrying the spec and the session) pipes into it.
'@
    Parameters  = @{
        Spec                = 'The config entry to build, from Import-PhoenixConfig. Takes VmSpec objects from the pipeline, or the Spec property of other Phoenix objects.'
        VmId                = 'The new VM''s ID (100 to 999999999), when building from parameters.'
        Name                = 'The new VM''s name (a DNS name), when building from parameters.'
        CloneFromVmId       = 'The VM or template to clone. Default: -DefaultTemplateVmId.'
        SnapshotName        = 'With -CloneFromVmId: clone from this snapshot of the source VM instead of its current state.'
        Cores               = 'Number of CPU cores.'
        MemoryMb            = 'Memory in MiB.'
        DiskSizeGb          = 'Size of the boot disk in GiB; the disk is grown to it, never shrunk.'
        NetworkBridge       = 'The bridge of net0 (vmbr0, ...).'
        StoragePool         = 'The target storage of a full clone.'
        FullClone           = 'True for a full clone, false for a linked one. Default: Proxmox''s choice (linked from a template, full otherwise). Proxmox refuses a linked clone where the storage cannot make one ("Linked clone feature is not supported ...").'
        DefaultTemplateVmId = 'The base template cloned when a spec names neither clone_from_vmid nor template_vmid. Default: 9000.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec')
    Examples    = @(
        @{
            Title   = 'VMs from a config file'
            Code    = "Connect-PhoenixHost -Simulator`nImport-PhoenixConfig ./examples/phoenix.example.json | Where-Object { -not `$_.IsTemplate -and `$_.VmId -ne 203 } | New-PhoenixVm"
            Remarks = 'Clones each VM of the file that does not exist yet and sets cores, memory, disk and boot settings; existing VMs are checked and repaired. VM 203 is left out: it clones the docker-golden snapshot of VM 201, which only exists once 201 has run its features (Deploy-PhoenixVm does all of it).'
        }
        @{
            Title   = 'One VM from parameters, planned first'
            Code    = "New-PhoenixVm -VmId 150 -Name web-150 -Cores 2 -MemoryMb 2048 -WhatIf`nNew-PhoenixVm -VmId 150 -Name web-150 -Cores 2 -MemoryMb 2048"
            Remarks = 'The first line prints the qm clone and qm set commands without running them; the second runs them.'
        }
        @{
            Title   = 'A clone of another VM''s snapshot'
            Code    = 'New-PhoenixVm -VmId 151 -Name docker-151 -CloneFromVmId 201 -SnapshotName docker-golden'
            Remarks = 'Clones VM 201 as it was at its docker-golden snapshot (a full clone, since 201 is not a template).'
        }
    )
    Links       = @('Import-PhoenixConfig', 'Set-PhoenixCloudInit', 'Start-PhoenixVm', 'Deploy-PhoenixVm')
}
