@{
    Synopsis    = 'Gets the VMs of the session''s node: all of them, by VMID, or by name with wildcards.'
    Description = @'
Get-PhoenixVm reads the VMs of the node that the session is connected to and returns one PhoenixVm object per VM, with VmId, Name, Node, Status (running, stopped, paused, ... as `qm status` reports it), IsTemplate, Lock (the Proxmox lock such as clone, backup or snapshot; empty when there is none), Cores, MemoryMb, Parent (the snapshot the VM's present state derives from) and Snapshots (the names of its snapshots).

It lists the VMs with `qm list`, which shows only the VMs of that node. A session on a cluster (see Connect-PhoenixHost) lists the VMs of every node instead: one `pvesh get /cluster/resources` says which VMs there are and which node owns each, and each VM is read on its own node, over a connection to that node opened the first time it is needed; Node says where each one is. A VM whose node is down is a non-terminating error naming the VM and the node (NodeDown), and the VMs of the other nodes are still returned. The cmdlets that take a VMID (Start-, Stop-, Remove-PhoenixVm, Wait-PhoenixGuestAgent, Invoke-PhoenixFeature and the snapshot cmdlets) find the VM on its node the same way. For each VM it wanted it then reads `qm config <VMID>`, `qm status <VMID>` and, unless -NoSnapshots is given, `qm listsnapshot <VMID>`; the VMs are read in parallel over the session's one connection.

Without parameters it returns every VM of the node, templates included. With -VmId it returns the VMs with those IDs, in the order given and each one once; an ID that is not on the node is a non-terminating error ("VM <VMID> does not exist on node <node>.", error ID VmNotFound) and the other IDs are still returned. With -Name it returns the VMs whose names match any of the patterns, ignoring case; a pattern that matches nothing returns nothing and is not an error. A VM that has no name is called "VM <VMID>", as Proxmox calls it.

Get-PhoenixVm only reads, so it has no -WhatIf. A locked VM is returned with its Lock as it is; Get-PhoenixVm neither waits for a lock nor removes one.

Each object carries its Session, so it pipes into Start-PhoenixVm, Stop-PhoenixVm, Remove-PhoenixVm, Wait-PhoenixGuestAgent, New-PhoenixSnapshot, Get-PhoenixSnapshot and the other cmdlets that take -VmId by property name, and they work through the same session. Get-PhoenixVm has no -Spec, so the objects it returns have an empty Spec; to carry a VM's config entry down a pipeline, start the pipeline with Import-PhoenixConfig.

Start-PhoenixVm, Stop-PhoenixVm and Wait-PhoenixGuestAgent return PhoenixVm objects too, but without reading the snapshots (their Snapshots is empty); Get-PhoenixVm and Restore-PhoenixSnapshot fill it.
'@
    Parameters  = @{
        VmId        = 'The IDs of the VMs to get (100 to 999999999). An ID that is not on the node is a non-terminating error. Binds by property name, so VmSpec objects from Import-PhoenixConfig select the VMs of a configuration file. Without -VmId and -Name, every VM of the node is returned.'
        Name        = 'Names of the VMs to get. Wildcards are allowed (docker-*, web-0?); matching ignores case. A pattern that matches no VM returns nothing and is not an error.'
        NoSnapshots = 'Do not read the VMs'' snapshots (no `qm listsnapshot`): Snapshots is empty. Faster on a node with many VMs. Parent is still filled, since it comes from `qm config`.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec', 'Phoenix.PowerShell.PhoenixVm', 'Any object with a VmId property (and optionally a Session property)')
    Examples    = @(
        @{
            Title   = 'Find VMs by name on the simulator'
            Code    = @'
Connect-PhoenixHost -Simulator
Get-PhoenixVm -Name 'ubuntu-*'
'@
            Remarks = 'Returns VM 9000, ubuntu-2404-cloud-template, the base template that the simulator starts with: Status stopped, IsTemplate True, no snapshots.'
        }
        @{
            Title   = 'Get VMs by ID, without their snapshots'
            Code    = 'Get-PhoenixVm -VmId 201, 203 -NoSnapshots'
            Remarks = 'Returns VMs 201 and 203 in that order, reading only their configuration and status. If one of them does not exist, an error names it and the other is still returned.'
        }
        @{
            Title   = 'List locked VMs'
            Code    = 'Get-PhoenixVm | Where-Object Lock | Format-Table VmId, Name, Status, Lock'
            Remarks = 'Shows the VMs that a Proxmox task holds (clone, backup, snapshot, ...), or that a task which ended abnormally left locked. Check the node''s tasks before you run `qm unlock <VMID>` on the host; Phoenix never does that itself.'
        }
        @{
            Title   = 'Which VMs of a configuration file exist'
            Code    = 'Import-PhoenixConfig ./examples/phoenix.example.json | Get-PhoenixVm -ErrorAction SilentlyContinue | Format-Table VmId, Name, Status, Snapshots'
            Remarks = 'The VmSpec objects bind to -VmId by property name. VMs of the file that are not on the node are skipped silently (each would otherwise be a VmNotFound error).'
        }
    )
    Links       = @('Start-PhoenixVm', 'Stop-PhoenixVm', 'Remove-PhoenixVm', 'Wait-PhoenixGuestAgent', 'Get-PhoenixSnapshot', 'Connect-PhoenixHost')
}
