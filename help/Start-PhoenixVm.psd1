@{
    Synopsis    = 'Starts VMs that are not running; a VM that already runs is left as it is.'
    Description = @'
Start-PhoenixVm reads the VM's status (`qm status <VMID>`) and, unless the VM is running, starts it with `qm start <VMID>`. A VM that already runs is not touched: it is returned with empty Changes (Changed is False) and a Verbose line says "VM <VMID> is already running.". Running Start-PhoenixVm again is therefore no error, and a pipeline that starts VMs can be run again.

qm start returns once the VM has been started, not when the guest has booted. Pipe the result into Wait-PhoenixGuestAgent to wait until the guest's QEMU guest agent answers. Proxmox regenerates the VM's cloud-init drive each time it starts a VM.

For each VM, Start-PhoenixVm returns a PhoenixVm object with the status after the start, Changes set to "started" when it started the VM, and the Spec and Session it received, so that the VM's config entry travels on to Wait-PhoenixGuestAgent and Invoke-PhoenixFeature. VmId, Spec and Session bind by property name: the objects of Import-PhoenixConfig, New-PhoenixVm and Get-PhoenixVm pipe straight in. The snapshot list of the returned object is not read (Snapshots is empty).

-WhatIf shows the exact command that would run, on the line after the operation, for example: What if: Performing the operation "Start" on target "VM 201". then What if:     qm start 201. The plan is made from the VM's real status, so for a running VM the second line is "nothing to change".

When Proxmox answers that the VM is locked (`VM is locked (clone)`, `VM is locked (backup)`, ...) or that its configuration file is held by another command (`can't lock file '/var/lock/qemu-server/lock-<VMID>.conf' - got timeout`), Start-PhoenixVm waits and tries again, with waits that grow from 0.5 s to 8 s, for up to 2 minutes in all. Each wait shows as a progress bar and as a Verbose line such as "VM 201 is locked (clone); waiting 0.5 s before trying again (0 s of 2 min waited)". A lock that outlasts the 2 minutes is reported as an error that says a task is still running or one that ended abnormally left the lock behind, with the advice to check the node's tasks and only then run `qm unlock <VMID>` on the host. Phoenix never removes a lock itself.

Each VM's failure is a non-terminating error that names the VM; the other VMs of the pipeline go on.
'@
    Parameters  = @{
        VmId = 'The ID of the VM to start (100 to 999999999). Binds by property name from VmSpec, PhoenixVm and the other Phoenix objects.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec', 'Phoenix.PowerShell.PhoenixVm', 'Any object with a VmId property (and optionally Spec and Session properties)')
    Notes       = @'
Errors you may meet:

"VM <VMID> is a template, and Proxmox does not start templates. Clone it and start the clone." Proxmox said: you can't start a vm if it's a template. The simulator's VM 9000 is such a template.

"VM <VMID> does not exist on node '<node>'." Proxmox said: Configuration file 'nodes/<node>/qemu-server/<VMID>.conf' does not exist. The VM is on another cluster node, or the ID is wrong; Get-PhoenixVm lists the node's VMs.

"VM <VMID> is still locked (<lock>) after Phoenix waited 2 min: a long task is running, or a task that ended abnormally left the lock behind." Check the node's tasks; only when none runs for the VM, run `qm unlock <VMID>` on the host and try again.
'@
    Examples    = @(
        @{
            Title   = 'Start a VM'
            Code    = 'Start-PhoenixVm -VmId 201'
            Remarks = 'Starts VM 201 unless it runs already, and returns it. Changes is "started" when it was started now, empty when it was running.'
        }
        @{
            Title   = 'See the command first'
            Code    = @'
Connect-PhoenixHost -Simulator
Start-PhoenixVm -VmId 9000 -WhatIf
'@
            Remarks = 'Prints: What if: Performing the operation "Start" on target "VM 9000". and What if:     qm start 9000. Run without -WhatIf it fails, since 9000 is the simulator''s base template and Proxmox does not start templates.'
        }
        @{
            Title   = 'Start the VMs of a configuration and wait for their guests'
            Code    = 'Import-PhoenixConfig ./examples/phoenix.example.json | Where-Object Name -like ''docker-*'' | New-PhoenixVm | Start-PhoenixVm | Wait-PhoenixGuestAgent'
            Remarks = 'Each VM is cloned if missing, started unless it runs, and waited for. VmId, Spec and Session travel along by property name.'
        }
        @{
            Title   = 'Start every stopped VM whose name starts with web-'
            Code    = 'Get-PhoenixVm -Name ''web-*'' -NoSnapshots | Where-Object { $_.Status -eq ''stopped'' -and -not $_.IsTemplate } | Start-PhoenixVm'
            Remarks = 'Templates are left out because Proxmox does not start them.'
        }
    )
    Links       = @('Stop-PhoenixVm', 'Wait-PhoenixGuestAgent', 'Get-PhoenixVm', 'New-PhoenixVm')
}
