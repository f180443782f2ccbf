@{
    Synopsis    = 'Deletes a snapshot of VMs with qm delsnapshot.'
    Description = @'
Remove-PhoenixSnapshot first checks the name against Proxmox's rule (a letter, then one or more letters, digits, '-' or '_'; 2 to 40 characters; not current or pending), before anything runs. Then it runs `qm delsnapshot <VMID> <name>`, with `--force 1` when -Force is given. Only that snapshot goes: the VM's present state and its other snapshots stay. Remove-PhoenixSnapshot writes nothing to the pipeline.

A snapshot that does not exist is an error, not a quiet success: "VM <VMID> has no snapshot named '<name>'. `qm listsnapshot <VMID>` shows the snapshots it has." (Proxmox said: snapshot '<name>' does not exist).

Without -Force, Proxmox also takes the VM's migration lock while it deletes the snapshot, and fails while a storage replication of the VM runs (Failed to obtain guest migration lock - replication running?). With -Force (Proxmox's --force), the snapshot is removed from the VM's configuration even when deleting it from a disk fails, so such a disk snapshot may be left on the storage.

VmId, Name and Session bind by property name, so the objects of Get-PhoenixSnapshot pipe straight in. Take care when you pipe VMs: a PhoenixVm or a VmSpec has a Name too, the VM's name, which would be taken as the snapshot's name. Give -Name then (Get-PhoenixVm -Name 'docker-*' | Remove-PhoenixSnapshot -Name pre-features).

Its ConfirmImpact is High: Remove-PhoenixSnapshot asks before each VM unless -Confirm:$false is given (or $ConfirmPreference is None), and the question names the VM and the snapshot (run with -WhatIf first to see the exact command). In scripts and CI, pass -Confirm:$false. -WhatIf prints the command without running it, on the line after the operation, for example: What if: Performing the operation "Delete snapshot 'pre-features'" on target "VM 201". then What if:     qm delsnapshot 201 pre-features" on target "VM 201".

While it deletes the snapshot, Proxmox locks the VM (lock snapshot-delete). When Proxmox answers that the VM is locked (`VM is locked (clone)`, `VM is locked (backup)`, ...) or that its configuration file is held by another command (`can't lock file '/var/lock/qemu-server/lock-<VMID>.conf' - got timeout`), Remove-PhoenixSnapshot waits and tries again, with waits that grow from 0.5 s to 8 s, for up to 2 minutes in all. Each wait shows as a progress bar and as a Verbose line such as "VM 201 is locked (backup); waiting 0.5 s before trying again (0 s of 2 min waited)". A lock that outlasts the 2 minutes is reported as an error that says a task is still running or one that ended abnormally left the lock behind, with the advice to check the node's tasks and only then run `qm unlock <VMID>` on the host. Phoenix never removes a lock itself.

Each VM's failure is a non-terminating error that names the VM; the other VMs of the pipeline go on.
'@
    Parameters  = @{
        InputObject = 'A snapshot from Get-PhoenixSnapshot; piped snapshots carry their VM, name and session. A piped VM (from Get-PhoenixVm) binds only its VmId, so give the snapshot with -Name.'
        VmId  = 'The ID of the VM whose snapshot to delete (100 to 999999999). Not positional: the first positional parameter is -Name. Binds by property name from PhoenixSnapshot, PhoenixVm and the other Phoenix objects.'
        Name  = 'The snapshot to delete. Position 0. Binds by property name, which suits PhoenixSnapshot objects; when you pipe PhoenixVm or VmSpec objects, give -Name, or their own Name (the VM''s name) is taken.'
        Force = 'Pass `--force 1` to qm delsnapshot: remove the snapshot from the VM''s configuration even when deleting it from a disk fails (the disk snapshot may then remain on the storage), and do not take the migration lock. It does not skip the confirmation: use -Confirm:$false for that.'
    }
    Inputs      = @('Phoenix.PowerShell.PhoenixSnapshot', 'Phoenix.PowerShell.PhoenixVm (give -Name)', 'Any object with VmId and Name properties (and optionally a Session property)')
    Examples    = @(
        @{
            Title   = 'Delete one snapshot'
            Code    = 'Remove-PhoenixSnapshot -VmId 203 -Name after-docker -Confirm:$false'
            Remarks = 'Runs `qm delsnapshot 203 after-docker` without asking. If VM 203 has no such snapshot, the error says so.'
        }
        @{
            Title   = 'Delete old snapshots everywhere'
            Code    = 'Get-PhoenixVm | Get-PhoenixSnapshot | Where-Object Time -lt (Get-Date).AddDays(-30) | Remove-PhoenixSnapshot'
            Remarks = 'Asks before each snapshot older than 30 days; answer A (Yes to All) to delete them all.'
        }
        @{
            Title   = 'See the command first'
            Code    = @'
Connect-PhoenixHost -Simulator
Remove-PhoenixSnapshot -VmId 9000 -Name pre-features -Force -WhatIf
'@
            Remarks = 'Prints: What if: Performing the operation "Delete snapshot ''pre-features''" on target "VM 9000". and What if:     qm delsnapshot 9000 pre-features --force 1. -WhatIf does not look for the snapshot; run for real, it would fail, since the template 9000 has no snapshots.'
        }
        @{
            Title   = 'The same snapshot on several VMs'
            Code    = 'Get-PhoenixVm -Name ''docker-*'' | Where-Object Snapshots -Contains pre-features | Remove-PhoenixSnapshot -Name pre-features'
            Remarks = '-Name is given so that the VMs'' own names are not taken as snapshot names.'
        }
    )
    Links       = @('Get-PhoenixSnapshot', 'New-PhoenixSnapshot', 'Restore-PhoenixSnapshot', 'Remove-PhoenixVm')
}
