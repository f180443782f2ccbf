@{
    Synopsis    = 'Destroys VMs and their disks with qm destroy, after checking that the VM on the VMID is the one meant; a running VM or a template is refused unless -Force.'
    Description = @'
Remove-PhoenixVm runs `qm destroy <VMID> --purge 1`. Proxmox removes the VM's configuration and every disk that belongs to the VM, its cloud-init drive included, and with --purge also takes the VMID out of the configurations that name it, such as backup and replication jobs and HA resources. -NoPurge leaves --purge out; Proxmox then refuses to remove a VM that is an HA resource (unable to remove VM <VMID> - used in HA resources and purge parameter not set.).

Before anything is changed, Remove-PhoenixVm reads the VM (`qm config <VMID>`). When a name is given or comes down the pipeline (a config entry from Import-PhoenixConfig, a PhoenixVm), the VM that holds the VMID must have that name; another VM there is not removed, and the error (VmNameMismatch) names both. A template is removed only with -Force (TemplateNeedsForce): clones may be built from it. So `Import-PhoenixConfig lab.json | Remove-PhoenixVm` removes the file's VMs and nothing that merely took their VMIDs, and leaves its template alone.

Proxmox does not destroy a running VM. Without -Force, Remove-PhoenixVm reports "VM <VMID> is running, and this needs it stopped." (Proxmox said: VM <VMID> is running - destroy failed). With -Force, it reads the VM's status first and stops a running VM hard with `qm stop <VMID>`, without a shutdown of the guest, then destroys it. To let the guest shut down cleanly, run Stop-PhoenixVm before Remove-PhoenixVm.

Remove-PhoenixVm writes nothing to the pipeline. It removes only what qm destroy removes: the cloud-init snippet files that Set-PhoenixCloudInit uploaded to the storage's snippets directory (user-data-<VMID>.yml, network-config-<VMID>.yml) stay where they are.

A template whose disks are the base of linked clones cannot be removed while those clones exist, where the storage keeps track of them: Proxmox answers base volume '<volume>' is still in use by linked cloned, and Phoenix reports "Template <VMID> still has linked clones that use its base volume '<volume>'." with the advice to remove those linked clones first. A VM with protection on is refused (can't remove VM <VMID> - protection mode enabled), with the advice to turn protection off with `qm set <VMID> --protection 0` if it really is to go; Phoenix never turns it off itself.

Its ConfirmImpact is High: Remove-PhoenixVm asks before each VM unless -Confirm:$false is given (or $ConfirmPreference is None), and the question names the VM as the host has it, for example "VM 201 (docker-01)", and says "Destroy template" for a template (run with -WhatIf first to see the exact commands). In scripts and CI, pass -Confirm:$false. -WhatIf prints the commands without running them, one a line after the operation, for example: What if: Performing the operation "Destroy" on target "VM 201 (docker-01)". then What if:     qm destroy 201 --purge 1 and the snippet files it would delete. With -Force and a running VM, `qm stop 201` comes first in that list.

VmId and Session bind by property name, so the objects of Get-PhoenixVm, Import-PhoenixConfig and the other VM cmdlets pipe in.

When Proxmox answers that the VM is locked (`VM is locked (clone)`, `VM is locked (backup)`, ...) or that its configuration file is held by another command (`can't lock file '/var/lock/qemu-server/lock-<VMID>.conf' - got timeout`), Remove-PhoenixVm waits and tries again, with waits that grow from 0.5 s to 8 s, for up to 2 minutes in all. Each wait shows as a progress bar and as a Verbose line such as "VM 201 is locked (clone); waiting 0.5 s before trying again (0 s of 2 min waited)". A lock that outlasts the 2 minutes is reported as an error that says a task is still running or one that ended abnormally left the lock behind, with the advice to check the node's tasks and only then run `qm unlock <VMID>` on the host. Phoenix never removes a lock itself.

Each VM's failure is a non-terminating error that names the VM; the other VMs of the pipeline go on.
'@
    Parameters  = @{
        KeepSnippets = 'Keep the VM''s cloud-init snippets (user-data-<VMID>.yml, network-config-<VMID>.yml) on the host. By default they are deleted after the VM, because they hold its user, SSH keys and password hash; only the files Phoenix names for this VM and that its cicustom points at are touched.'
        VmId    = 'The ID of the VM to destroy (100 to 999999999). Binds by property name from PhoenixVm, VmSpec and the other Phoenix objects.'
        Force   = 'Stop a running VM hard (`qm stop <VMID>`) before destroying it, and allow a template to be destroyed. Without it, a running VM and a template are refused. It does not skip the confirmation: use -Confirm:$false for that.'
        Name    = 'The name the VM must have (a DNS name). Binds by property name, so a config entry or a PhoenixVm brings its own: a VM with another name on that VMID is refused (VmNameMismatch) and nothing is changed. Left out, the VM is removed whatever its name.'
        NoPurge = 'Run `qm destroy` without `--purge 1`, so the VMID stays in backup jobs, replication jobs and HA resources that name it. Proxmox refuses to remove an HA resource this way.'
    }
    Inputs      = @('Phoenix.PowerShell.PhoenixVm', 'Phoenix.Engine.Config.VmSpec', 'Any object with a VmId property (and optionally a Session property)')
    Examples    = @(
        @{
            Title   = 'See what would run'
            Code    = @'
Connect-PhoenixHost -Simulator
Remove-PhoenixVm -VmId 9000 -WhatIf
'@
            Fails   = 'is a template; its clones may be built from it, so Phoenix removes a template only with -Force'
            Remarks = 'Refused: VM 9000 is a template, which needs -Force (TemplateNeedsForce). With -Force -WhatIf it prints What if: Performing the operation "Destroy template" on target "VM 9000 (<its name>)". and What if:     qm destroy 9000 --purge 1. Nothing is removed.'
        }
        @{
            Title   = 'Remove a VM, running or not, without being asked'
            Code    = 'Remove-PhoenixVm -VmId 203 -Force -Confirm:$false'
            Remarks = 'Stops VM 203 hard if it runs (`qm stop 203`), then runs `qm destroy 203 --purge 1`. This is the form for scripts and CI.'
        }
        @{
            Title   = 'Shut down cleanly, then remove'
            Code    = 'Get-PhoenixVm -Name ''docker-*'' -NoSnapshots | Stop-PhoenixVm -TimeoutSec 120 | Remove-PhoenixVm'
            Remarks = 'Each docker-* VM is shut down gracefully, then destroyed after you confirm it; the question names the VM.'
        }
        @{
            Title   = 'Tear down the VMs of a configuration file, keeping the template'
            Code    = 'Import-PhoenixConfig ./examples/phoenix.example.json | Where-Object { -not $_.IsTemplate } | Remove-PhoenixVm -Force'
            Remarks = 'Asks once per VM, naming it; a VM whose name is not the file''s is refused. The template 9000 would need -Force anyway, and would fail while linked clones of it still exist, where the storage tracks them: base volume ''...'' is still in use by linked cloned.'
        }
    )
    Links       = @('Stop-PhoenixVm', 'Get-PhoenixVm', 'Remove-PhoenixSnapshot', 'New-PhoenixVm')
}
