@{
    Synopsis    = 'Lists the snapshots of VMs, with each one''s parent, time and description.'
    Description = @'
Get-PhoenixSnapshot reads `qm listsnapshot <VMID>` and returns one PhoenixSnapshot object per snapshot, in the order Proxmox prints them: as a tree, each snapshot before the ones taken after it, siblings by time. Each object has VmId, Name, Parent (the snapshot it was taken after; empty for the first), Time (to the second, in the node's local time, as qm listsnapshot prints it), Description (its first line, as qm listsnapshot prints it; empty when there is none), IsCurrent and Session.

-Name keeps the snapshots whose names match any of the patterns, with wildcards and ignoring case; a pattern that matches nothing returns nothing and is not an error.

Proxmox also lists a pseudo-entry called current ("You are here!"), which stands for the VM's present state; its Parent is the snapshot that state derives from. Get-PhoenixSnapshot leaves it out unless -IncludeCurrent is given; then it is returned whatever -Name says, with IsCurrent True and no Time.

Get-PhoenixSnapshot only reads, so it has no -WhatIf. A VM that does not exist is a non-terminating error that names it; the other VMs of the pipeline go on.

VmId and Session bind by property name, so VMs from Get-PhoenixVm pipe in. The objects it returns carry VmId, Name and Session, which Restore-PhoenixSnapshot and Remove-PhoenixSnapshot take by property name, so a filtered list of snapshots pipes straight into them. Their Spec is empty.
'@
    Parameters  = @{
        VmId           = 'The ID of the VM whose snapshots to list (100 to 999999999). Position 0. Binds by property name from PhoenixVm, VmSpec and the other Phoenix objects.'
        Name           = 'Names of the snapshots to return. Wildcards are allowed; matching ignores case. Default: all. Position 1, but when -VmId comes from the pipeline, name it (-Name ''pre-*''): a lone positional value goes to -VmId.'
        IncludeCurrent = 'Also return the pseudo-entry current ("You are here!"), the VM''s present state, whose Parent is the snapshot that state derives from. It is returned whatever -Name says.'
    }
    Inputs      = @('Phoenix.PowerShell.PhoenixVm', 'Phoenix.Engine.Config.VmSpec', 'Any object with a VmId property (and optionally a Session property)')
    Examples    = @(
        @{
            Title   = 'Where a VM stands'
            Code    = @'
Connect-PhoenixHost -Simulator
Get-PhoenixSnapshot -VmId 9000 -IncludeCurrent
'@
            Remarks = 'The simulator''s template 9000 has no snapshots (Proxmox does not snapshot templates), so only current is returned: Description "You are here!", IsCurrent True.'
        }
        @{
            Title   = 'Golden snapshots of several VMs'
            Code    = 'Get-PhoenixVm -Name ''docker-*'' -NoSnapshots | Get-PhoenixSnapshot -Name ''*golden*'''
            Remarks = 'Lists the snapshots of every docker-* VM whose names contain golden. -Name is named because -VmId comes from the pipeline.'
        }
        @{
            Title   = 'Snapshots older than 30 days'
            Code    = 'Get-PhoenixVm | Get-PhoenixSnapshot | Where-Object Time -lt (Get-Date).AddDays(-30) | Format-Table VmId, Name, Time, Description'
            Remarks = 'Time is in the node''s local time. Pipe the result into Remove-PhoenixSnapshot to delete them.'
        }
        @{
            Title   = 'Roll back to the newest snapshot'
            Code    = 'Get-PhoenixSnapshot -VmId 201 | Sort-Object Time | Select-Object -Last 1 | Restore-PhoenixSnapshot'
            Remarks = 'The snapshot''s VmId and Name bind to Restore-PhoenixSnapshot by property name. It asks before it rolls back.'
        }
    )
    Links       = @('New-PhoenixSnapshot', 'Restore-PhoenixSnapshot', 'Remove-PhoenixSnapshot', 'Get-PhoenixVm')
}
