@{
    Synopsis    = 'Takes a snapshot of each VM; a VM that already has a snapshot of that name is left as it is.'
    Description = @'
New-PhoenixSnapshot first checks the name against Proxmox's rule, before anything runs: a letter, then one or more letters, digits, '-' or '_' (2 to 40 characters in all; ^[a-z][a-z0-9_-]+$ in any case), and not current or pending, which Proxmox reserves. A name that breaks the rule is an error for each VM (error ID InvalidSnapshotName) that says why, and nothing is run.

It then lists the VM's snapshots (`qm listsnapshot <VMID>`) and, unless one of that name exists, runs `qm snapshot <VMID> <name>`, with `--description <text>` when -Description is given. An existing snapshot of that name is neither changed nor compared, its description included: it is returned with Changed False, and a Verbose line says "VM <VMID> already has a snapshot '<name>'; left as it is.". So a golden-image step can be run again without error.

The snapshot holds the VM's disks and configuration, not its memory: Phoenix does not ask Proxmox for the VM state (no --vmstate). A running VM is snapshotted while it runs. A rollback to such a snapshot with Restore-PhoenixSnapshot leaves the VM stopped unless -Start is given.

For each VM, New-PhoenixSnapshot returns a PhoenixSnapshot object: VmId, Name, Parent (the snapshot it was taken after), Time, Description, Changed (True when it was taken now) and the Spec and Session it received.

VmId, Spec and Session bind by property name, so New-PhoenixSnapshot can end the chain that starts with Import-PhoenixConfig. Several objects of one VM can come down such a pipeline (Invoke-PhoenixFeature writes one result per feature): New-PhoenixSnapshot handles each VM once per run and skips the VM's later objects without output, so every VM gets one snapshot and one result.

-WhatIf shows the exact command that would run, on the line after the operation, for example: What if: Performing the operation "Take snapshot 'golden'" on target "VM 201". then What if:     qm snapshot 201 golden --description 'after features'. When the snapshot exists already, the second line is "nothing to change".

While it takes the snapshot, Proxmox locks the VM (lock snapshot). When Proxmox answers that the VM is locked (`VM is locked (clone)`, `VM is locked (backup)`, ...) or that its configuration file is held by another command (`can't lock file '/var/lock/qemu-server/lock-<VMID>.conf' - got timeout`), New-PhoenixSnapshot waits and tries again, with waits that grow from 0.5 s to 8 s, for up to 2 minutes in all. Each wait shows as a progress bar and as a Verbose line such as "VM 201 is locked (clone); waiting 0.5 s before trying again (0 s of 2 min waited)". A lock that outlasts the 2 minutes is reported as an error that says a task is still running or one that ended abnormally left the lock behind, with the advice to check the node's tasks and only then run `qm unlock <VMID>` on the host. Phoenix never removes a lock itself. A hibernated VM (lock suspended) is not waited for: it is reported at once, with the advice to resume it (`qm resume <VMID>`).

Each VM's failure is a non-terminating error that names the VM; the other VMs of the pipeline go on.
'@
    Parameters  = @{
        VmId        = 'The ID of the VM to snapshot (100 to 999999999). Not positional: the first positional parameter is -Name. Binds by property name from PhoenixVm, VmSpec, FeatureResult and the other Phoenix objects.'
        Name        = 'The snapshot name: a letter, then 1 to 39 letters, digits, ''-'' or ''_''; not current or pending. Checked before anything runs.'
        Description = 'A description for a new snapshot (`qm snapshot --description`). An existing snapshot keeps its own description.'
    }
    Inputs      = @('Phoenix.PowerShell.PhoenixVm', 'Phoenix.Engine.Config.VmSpec', 'Any object with a VmId property (and optionally Spec and Session properties), such as the results of Invoke-PhoenixFeature')
    Notes       = @'
Errors you may meet:

"VM <VMID> is a template, and Proxmox does not snapshot templates. Clones of a template are made from the template itself; take snapshots of a clone instead." Proxmox said: you can't take a snapshot if it's a template. The simulator's VM 9000 is such a template.

"VM <VMID>: a disk's storage cannot take snapshots (for example raw disks on directory storage, or LVM thick). Snapshots are a storage feature." Proxmox said: snapshot feature is not available. Move the disks to qcow2 on directory-type storage, LVM-thin, ZFS or Ceph RBD (`qm disk move`), or do without the snapshot.

"VM <VMID>: snapshot name 'x' does not follow Proxmox's rule: ..." The name was refused before anything ran.
'@
    Examples    = @(
        @{
            Title   = 'Take a golden snapshot'
            Code    = 'New-PhoenixSnapshot -VmId 201 -Name golden -Description ''after features'''
            Remarks = 'Takes snapshot golden of VM 201 unless it has one already. Changed tells which: True when it was taken now.'
        }
        @{
            Title   = 'Snapshot at the end of the chain'
            Code    = 'Import-PhoenixConfig ./examples/phoenix.example.json | New-PhoenixVm | Set-PhoenixCloudInit | Start-PhoenixVm | Wait-PhoenixGuestAgent | Invoke-PhoenixFeature | New-PhoenixSnapshot -Name golden'
            Remarks = 'Invoke-PhoenixFeature writes one result per feature; New-PhoenixSnapshot takes one snapshot per VM all the same. The snapshots carry each VM''s Spec on.'
        }
        @{
            Title   = 'See the command first'
            Code    = 'Get-PhoenixVm -Name ''web-*'' -NoSnapshots | New-PhoenixSnapshot -Name pre-upgrade -WhatIf'
            Remarks = 'Prints, for each web-* VM: What if: Performing the operation "Take snapshot ''pre-upgrade''" on target "VM <VMID>". and below it What if:     qm snapshot <VMID> pre-upgrade (or nothing to change, when the VM has that snapshot).'
        }
        @{
            Title   = 'A name Proxmox would refuse'
            Code    = @'
Connect-PhoenixHost -Simulator
New-PhoenixSnapshot -VmId 9000 -Name 1st
'@
            Fails   = 'Snapshot name ''1st'' does not follow Proxmox''s rule'
            Remarks = 'Fails before anything runs: "Cannot validate argument on parameter ''Name''. Snapshot name ''1st'' does not follow Proxmox''s rule: a letter, then one or more letters, digits, ''-'' or ''_'' ...".'
        }
    )
    Links       = @('Get-PhoenixSnapshot', 'Restore-PhoenixSnapshot', 'Remove-PhoenixSnapshot', 'Invoke-PhoenixFeature')
}
