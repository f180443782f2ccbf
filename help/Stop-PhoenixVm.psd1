@{
    Synopsis    = 'Shuts VMs down gracefully, waiting up to -TimeoutSec; with -Force, stops them hard when that time has passed.'
    Description = @'
Stop-PhoenixVm reads the VM's status (`qm status <VMID>`) and, unless the VM is stopped, runs `qm shutdown <VMID> --timeout <TimeoutSec>`, with `--forceStop 1` added when -Force is given. Proxmox asks the guest to shut down (through the QEMU guest agent when it is enabled and running, otherwise with an ACPI power-button event) and waits up to -TimeoutSec seconds, 60 by default, for the VM to power off.

Without -Force, a guest that is still running when the time is up is an error: "VM <VMID> did not shut down in time." (Proxmox said: VM quit/powerdown failed - got timeout), with the advice to check that the guest reacts to ACPI power-off or has its guest agent running, or to stop it by force. The VM then keeps running. With -Force, Proxmox stops such a VM hard when the time is up (it prints "VM still running - terminating now with SIGTERM"): like pulling the plug, so whatever the guest had not yet written to disk is lost.

A VM that is already stopped is not touched: it is returned with empty Changes (Changed is False) and a Verbose line says "VM <VMID> is already stopped.". A paused VM is not stopped: Proxmox refuses to shut it down (VM is paused - cannot shutdown).

For each VM, Stop-PhoenixVm returns a PhoenixVm object with the status after the shutdown, Changes set to "stopped" when it stopped the VM, and the Spec and Session it received. VmId, Spec and Session bind by property name, so the objects of Get-PhoenixVm, Import-PhoenixConfig and the other VM cmdlets pipe straight in. The snapshot list of the returned object is not read (Snapshots is empty).

-WhatIf shows the exact command that would run, on the line after the operation, for example: What if: Performing the operation "Stop" on target "VM 201". then What if:     qm shutdown 201 --timeout 60. The plan is made from the VM's real status, so for a stopped VM the second line is "nothing to change".

When Proxmox answers that the VM is locked (`VM is locked (clone)`, `VM is locked (backup)`, ...) or that its configuration file is held by another command (`can't lock file '/var/lock/qemu-server/lock-<VMID>.conf' - got timeout`), Stop-PhoenixVm waits and tries again, with waits that grow from 0.5 s to 8 s, for up to 2 minutes in all. Each wait shows as a progress bar and as a Verbose line such as "VM 201 is locked (backup); waiting 0.5 s before trying again (0 s of 2 min waited)". A lock that outlasts the 2 minutes is reported as an error that says a task is still running or one that ended abnormally left the lock behind, with the advice to check the node's tasks and only then run `qm unlock <VMID>` on the host. Phoenix never removes a lock itself.

Each VM's failure is a non-terminating error that names the VM; the other VMs of the pipeline go on.
'@
    Parameters  = @{
        VmId       = 'The ID of the VM to shut down (100 to 999999999). Binds by property name from VmSpec, PhoenixVm and the other Phoenix objects.'
        TimeoutSec = 'How long Proxmox waits for the guest to power off, in seconds (1 to 86400), passed as `qm shutdown --timeout`. Default: 60.'
        Force      = 'Stop the VM hard when it has not powered off within -TimeoutSec (`qm shutdown --forceStop 1`). Without it, a VM that does not power off in time is an error and keeps running.'
    }
    Inputs      = @('Phoenix.PowerShell.PhoenixVm', 'Phoenix.Engine.Config.VmSpec', 'Any object with a VmId property (and optionally Spec and Session properties)')
    Examples    = @(
        @{
            Title   = 'Shut a VM down'
            Code    = 'Stop-PhoenixVm -VmId 201'
            Remarks = 'Runs `qm shutdown 201 --timeout 60` unless VM 201 is stopped already. A guest that has not powered off after 60 s is reported as an error and keeps running.'
        }
        @{
            Title   = 'Give the guests more time, then pull the plug'
            Code    = 'Get-PhoenixVm -Name ''docker-*'' -NoSnapshots | Stop-PhoenixVm -TimeoutSec 180 -Force'
            Remarks = 'Asks every docker-* VM to shut down and stops the ones still running after 3 minutes hard.'
        }
        @{
            Title   = 'See the command first'
            Code    = 'Stop-PhoenixVm -VmId 201 -TimeoutSec 30 -Force -WhatIf'
            Remarks = 'For a running VM 201 prints: What if: Performing the operation "Stop" on target "VM 201". and What if:     qm shutdown 201 --timeout 30 --forceStop 1. For a stopped one the second line is "nothing to change".'
        }
        @{
            Title   = 'Nothing to do on the simulator''s template'
            Code    = @'
Connect-PhoenixHost -Simulator
Stop-PhoenixVm -VmId 9000
'@
            Remarks = 'The base template 9000 is stopped, so nothing runs: the VM is returned with empty Changes, and -Verbose shows "VM 9000 is already stopped.".'
        }
    )
    Links       = @('Start-PhoenixVm', 'Remove-PhoenixVm', 'Get-PhoenixVm')
}
