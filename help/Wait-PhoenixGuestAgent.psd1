@{
    Synopsis    = 'Waits until the QEMU guest agent of each VM answers, and returns the VM with its IP addresses.'
    Description = @'
Wait-PhoenixGuestAgent waits until a VM's guest has booted far enough for its QEMU guest agent to answer, which is what Invoke-PhoenixFeature needs to run scripts in the guest.

It first reads the VM's configuration (`qm config <VMID>`). A VM without `agent: 1` fails at once, since there is nothing to wait for: "VM <VMID> (<name>) has no QEMU guest agent configured (`agent: 1` is missing), so Phoenix cannot wait for it.", with the advice to run `qm set <VMID> --agent 1` (New-PhoenixVm sets it), install qemu-guest-agent in the guest and restart the VM.

Then, once a second, it reads the VM's status (`qm status <VMID>`) and, while the VM runs, pings the agent (`qm guest cmd <VMID> ping`), until the agent answers or -TimeoutSec seconds (600 by default) have passed. A progress bar shows the seconds waited and the seconds left. A VM that is not running is not started; it is watched in case something else starts it.

When the agent answers, Wait-PhoenixGuestAgent reads the guest's network interfaces (`qm guest cmd <VMID> network-get-interfaces`) and returns the VM as a PhoenixVm object whose IpAddresses holds every address of the guest except loopback, with its prefix length (for example 10.0.0.201/24), IPv4 addresses first. If the addresses cannot be read, IpAddresses is empty and the VM is returned all the same. A Verbose line says how long the agent took to answer. The Spec and Session it received are passed on, so the VM's config entry travels on to Invoke-PhoenixFeature; the snapshot list is not read (Snapshots is empty).

When the time is up, the error (error ID AgentTimeout, category OperationTimeout) says why. For a running VM: "VM <VMID> (<name>) is running and `agent` is set, but the QEMU guest agent did not answer within <n> s.", with the advice to check in the guest (console: `qm terminal <VMID>`) that qemu-guest-agent is installed and running (`systemctl status qemu-guest-agent`). The default Phoenix cloud-init installs it at first boot, which can take minutes, so a first boot may need a larger -TimeoutSec. For a VM that is not running: "VM <VMID> (<name>) is stopped, so its guest agent cannot answer (waited <n> s).", with the advice to start it with Start-PhoenixVm.

Wait-PhoenixGuestAgent changes nothing on the host, so it has no -WhatIf. Ctrl+C ends the wait at once. VmId, Spec and Session bind by property name, so it takes the output of Start-PhoenixVm, New-PhoenixVm, Get-PhoenixVm or Import-PhoenixConfig. Each VM's failure is a non-terminating error that names the VM; the other VMs of the pipeline go on.
'@
    Parameters  = @{
        VmId       = 'The ID of the VM whose guest agent to wait for (100 to 999999999). Binds by property name from PhoenixVm, VmSpec and the other Phoenix objects.'
        TimeoutSec = 'How long to wait for the agent, in seconds (1 to 86400). Default: 600. The wait polls once a second; the error after it says whether the VM runs.'
    }
    Inputs      = @('Phoenix.PowerShell.PhoenixVm', 'Phoenix.Engine.Config.VmSpec', 'Any object with a VmId property (and optionally Spec and Session properties)')
    Examples    = @(
        @{
            Title   = 'Start a VM and wait for its guest'
            Code    = 'Start-PhoenixVm -VmId 201 | Wait-PhoenixGuestAgent -TimeoutSec 300 | Select-Object VmId, Name, IpAddresses'
            Remarks = 'Returns VM 201 once its guest agent answers, with the guest''s addresses, for example 10.0.0.201/24. After 300 s without an answer, the error says whether the VM runs and what to check in the guest.'
        }
        @{
            Title   = 'The whole chain, from a configuration file'
            Code    = 'Import-PhoenixConfig ./examples/phoenix.example.json | Where-Object Name -like ''docker-*'' | New-PhoenixVm | Start-PhoenixVm | Wait-PhoenixGuestAgent | Invoke-PhoenixFeature'
            Remarks = 'Each VM''s Spec travels through Start-PhoenixVm and Wait-PhoenixGuestAgent to Invoke-PhoenixFeature, which runs the features the config entry names.'
        }
        @{
            Title   = 'Log in to the guest at the address its agent reports'
            Code    = @'
$vm = Wait-PhoenixGuestAgent -VmId 202
ssh "phoenix@$($vm.IpAddresses[0].Split('/')[0])"
'@
            NotRun  = 'opens an SSH session to the guest'
            Remarks = 'IpAddresses lists IPv4 addresses first, each with its prefix length; the Split removes the prefix.'
        }
        @{
            Title   = 'A template has no running guest'
            Code    = @'
Connect-PhoenixHost -Simulator
Wait-PhoenixGuestAgent -VmId 9000 -TimeoutSec 5
'@
            Fails   = 'is stopped, so its guest agent cannot answer'
            Remarks = 'The simulator''s VM 9000 is a stopped template, so after 5 s the error reads: "VM 9000 (ubuntu-2404-cloud-template) is stopped, so its guest agent cannot answer (waited 5 s). Start it with Start-PhoenixVm -VmId 9000."'
        }
    )
    Links       = @('Start-PhoenixVm', 'Invoke-PhoenixFeature', 'New-PhoenixVm', 'Get-PhoenixVm')
}
