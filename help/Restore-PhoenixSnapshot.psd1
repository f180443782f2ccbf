@{
    Synopsis    = 'Rolls VMs back to a snapshot with qm rollback; the VM''s present state is lost.'
    Description = @'
Restore-PhoenixSnapshot first checks the name against Proxmox's rule (a letter, then one or more letters, digits, '-' or '_'; 2 to 40 characters; not current or pending), before anything runs. Then it runs `qm rollback <VMID> <name>`, with `--start 1` when -Start is given.

The VM's disks and configuration return to what they were when the snapshot was taken; everything that changed since is lost. The VM's snapshots stay as they are, those taken after this one included. Proxmox stops a running VM hard before it rolls back. Snapshots that Phoenix takes hold no memory, so after the rollback the VM is stopped; -Start makes Proxmox start it when the rollback is done. The rollback always runs, even when nothing has changed since the snapshot.

For each VM, Restore-PhoenixSnapshot returns a PhoenixVm object with the VM's state after the rollback: Status, Parent (now the snapshot it rolled back to), Snapshots, and Changes set to "rolled back to <name>". It has no -Spec, so the returned object's Spec is empty.

VmId, Name and Session bind by property name, so the objects of Get-PhoenixSnapshot pipe straight in. Take care when you pipe VMs: a PhoenixVm or a VmSpec has a Name too, the VM's name, which would be taken as the snapshot's name. Give -Name then (Get-PhoenixVm -Name 'docker-*' | Restore-PhoenixSnapshot -Name golden).

Its ConfirmImpact is High: Restore-PhoenixSnapshot asks before each VM unless -Confirm:$false is given (or $ConfirmPreference is None), and the question names the VM and the snapshot (run with -WhatIf first to see the exact command). In scripts and CI, pass -Confirm:$false. -WhatIf prints the command without running it, on the line after the operation, for example: What if: Performing the operation "Roll back to snapshot 'golden' (the current state is lost), running: qm rollback 201 golden" on target "VM 201".

While it rolls back, Proxmox locks the VM (lock rollback). When Proxmox answers that the VM is locked (`VM is locked (clone)`, `VM is locked (backup)`, ...) or that its configuration file is held by another command (`can't lock file '/var/lock/qemu-server/lock-<VMID>.conf' - got timeout`), Restore-PhoenixSnapshot waits and tries again, with waits that grow from 0.5 s to 8 s, for up to 2 minutes in all. Each wait shows as a progress bar and as a Verbose line such as "VM 201 is locked (snapshot); waiting 0.5 s before trying again (0 s of 2 min waited)". A lock that outlasts the 2 minutes is reported as an error that says a task is still running or one that ended abnormally left the lock behind, with the advice to check the node's tasks and only then run `qm unlock <VMID>` on the host. Phoenix never removes a lock itself. A hibernated VM (lock suspended) is not waited for: it is reported at once, with the advice to resume it (`qm resume <VMID>`).

Each VM's failure is a non-terminating error that names the VM; the other VMs of the pipeline go on.
'@
    Parameters  = @{
        InputObject = 'A snapshot from Get-PhoenixSnapshot; piped snapshots carry their VM, name and session. A piped VM (from Get-PhoenixVm) binds only its VmId, so give the snapshot with -Name.'
        VmId  = 'The ID of the VM to roll back (100 to 999999999). Not positional: the first positional parameter is -Name. Binds by property name from PhoenixSnapshot, PhoenixVm and the other Phoenix objects.'
        Name  = 'The snapshot to roll back to. Position 0. Binds by property name, which suits PhoenixSnapshot objects; when you pipe PhoenixVm or VmSpec objects, give -Name, or their own Name (the VM''s name) is taken.'
        Start = 'Start the VM when the rollback is done (`qm rollback --start 1`). Without it, the VM is stopped afterwards.'
    }
    Inputs      = @('Phoenix.PowerShell.PhoenixSnapshot', 'Phoenix.PowerShell.PhoenixVm (give -Name)', 'Any object with VmId and Name properties (and optionally a Session property)')
    Notes       = @'
Errors you may meet:

"VM <VMID> has no snapshot named '<name>'. `qm listsnapshot <VMID>` shows the snapshots it has." Proxmox said: snapshot '<name>' does not exist. Get-PhoenixSnapshot -VmId <VMID> lists them too.

"VM <VMID> is a template, and a template cannot be rolled back. Roll back a clone instead, or rebuild the template." Proxmox said: you can't rollback if vm is a template.

Proxmox refuses a snapshot whose creation did not finish: unable to rollback to incomplete snapshot (snapstate = ...).
'@
    Examples    = @(
        @{
            Title   = 'Roll back and start again'
            Code    = 'Restore-PhoenixSnapshot -VmId 201 -Name docker-golden -Start -Confirm:$false'
            Remarks = 'Returns VM 201 to its snapshot golden and starts it, without asking. Changes reads "rolled back to golden".'
        }
        @{
            Title   = 'Roll several VMs back to the same snapshot'
            Code    = 'Get-PhoenixVm -Name ''docker-*'' | Where-Object Snapshots -Contains pre-features | Restore-PhoenixSnapshot -Name pre-features'
            Remarks = 'Asks before each VM. -Name is given so that the VMs'' own names are not taken as snapshot names.'
        }
        @{
            Title   = 'Roll back to what Get-PhoenixSnapshot found'
            Code    = 'Get-PhoenixSnapshot -VmId 203 -Name ''after-*'' | Restore-PhoenixSnapshot -WhatIf'
            Remarks = 'The snapshot objects bind VmId and Name by property name. Prints, for example: What if: Performing the operation "Roll back to snapshot ''after-docker'' (the current state is lost)" on target "VM 203". and What if:     qm rollback 203 after-docker.'
        }
        @{
            Title   = 'See the command on the simulator'
            Code    = @'
Connect-PhoenixHost -Simulator
Restore-PhoenixSnapshot -VmId 9000 -Name golden -WhatIf
'@
            Remarks = 'Prints: What if: Performing the operation "Roll back to snapshot ''golden'' (the current state is lost)" on target "VM 9000". and What if:     qm rollback 9000 golden. -WhatIf does not look for the snapshot; run for real, Proxmox would refuse, since 9000 is a template.'
        }
    )
    Links       = @('Get-PhoenixSnapshot', 'New-PhoenixSnapshot', 'Remove-PhoenixSnapshot', 'Start-PhoenixVm')
}
