@{
    Synopsis    = 'Runs the whole workflow for every VM of a config: clone, configure, cloud-init, start, agent, snapshots and features.'
    Description = @'
Deploy-PhoenixVm takes the VmSpecs of Import-PhoenixConfig and, for each VM, follows the seed's workflow: clone it if it is missing (New-PhoenixVm's rules), apply the dynamic configuration, render and upload its cloud-init snippets and set cicustom (Set-PhoenixCloudInit), start it, wait for the QEMU guest agent, take the pre-features snapshot, run its features in order (Invoke-PhoenixFeature), then take the post-features and template_snapshot_name snapshots. VMs marked is_template are built from their template_image and converted (New-PhoenixTemplate); a template holds no snapshots, so their template_snapshot_name is ignored with a warning.

VMs go in dependency order (dependencies, clone_from_vmid, template_vmid); independent VMs run in parallel, up to -ThrottleLimit, over the session's one SSH connection (on a cluster: one per node, and at most -NodeThrottleLimit VMs per node). On a cluster each VM is deployed on its node (node, else the session's); a clone from a source on another node uses qm clone --target when every source volume is on shared storage, else a full clone on the source's node and an offline qm migrate; the -WhatIf plan says which and why, and what Proxmox would refuse (a storage the node lacks, a local cdrom image, a VMID another node holds) fails the VM before anything changes (about_Phoenix_Config, CLUSTERS). Before anything changes, every feature of every VM is looked up in the feature folders (-FeaturePath, PHOENIX_FEATURE_PATH, the bundled folder: the rule of about_Phoenix_Features); a missing one stops the whole deployment with nothing changed. A clone source that is no VM of the file is looked up on the host before the VM is touched; a missing one fails that VM. When a VM fails, the VMs that depend on it are skipped; the others go on. A dependency on an ID outside the file (for example an LXC container) is looked up on the host: when it is absent or stopped, a warning names it and the deployment goes on; with -RequireDependency it is an error for that VM.

Running it again converges: what is already right is left alone, what differs is repaired, and each result says what changed (Changed, Changes). The configuration is compared field by field as Proxmox means it (see about_Phoenix_Config): one qm set carries every option that differs, a disk that must grow gets qm resize, and what Phoenix cannot change safely (a shrink, a disk on another storage, a value it cannot compare) is left as it is with a warning. Features run from the guest's state file: one whose script or context has not changed since it last succeeded is not run again, whatever snapshots exist. When features ran on a VM whose final snapshot (post-features, template_snapshot_name) already existed, the snapshot is older than the VM: a warning says so and the result lists it in StaleSnapshots; -RefreshSnapshot takes it again. A run that was stopped halfway is finished by the next one; a snapshot it left half-made (snapstate in the snapshot, lock: snapshot) does not count as taken and is removed with qm unlock and qm delsnapshot --force once no snapshot task can still be making it. Locks are waited out (up to -LockWaitSec) and shown as progress; a lock that outlasts the wait is reported with the qm unlock advice, never removed.

-WhatIf prints, per VM, a line naming the VM and then its plan in order, one What if: line each, and changes nothing: the exact qm, pvesm and pvesh commands and file writes, and guest programs by what they do ("in the guest: write /tmp/vm_context.json (990 bytes)"), whose exact command lines -Verbose adds. Each VM's plan also goes to the information stream as an object (VmId, Name, Plan: the lines shown) tagged PhoenixPlan, for scripts and CI (-InformationVariable). A progress bar per VM runs under one overall bar. One DeployResult per VM is written: VmId, Name, Status (Succeeded, Failed, Skipped or Planned, as a name), Changed, Changes, Steps with their durations, StepDurations and Duration (all in seconds), Warnings and Errors; a failed VM is also an error record that names it.
'@
    Parameters  = @{
        Spec                = 'The config entries to deploy, from Import-PhoenixConfig. All piped entries are collected, then deployed together in dependency order.'
        ThrottleLimit       = 'How many independent VMs are deployed at once, in all. Default: 4.'
        NodeThrottleLimit   = 'On a cluster: how many VMs of one node are deployed at once, so that one node is not flooded while others idle (within -ThrottleLimit). Default: 4.'
        SnippetStorage      = 'The storage whose snippets folder receives the cloud-init files. Default: local. It must have snippets in its content.'
        AgentTimeoutSec     = 'How long to wait for each VM''s guest agent after the start, in seconds. Default: 600.'
        FeatureTimeoutSec   = 'How long one feature script may run, in seconds. Default: 1800. A script still running then is reported, not killed.'
        LockWaitSec         = 'How long Proxmox locks are waited out before the VM fails with the qm unlock advice, in seconds. Default: 120.'
        RefreshSnapshot     = 'Delete and take again each VM''s final snapshots (post-features, template_snapshot_name) that are stale, so they hold what features did since they were taken. A snapshot is stale when features ran on the VM in this run, or when the guest''s feature record (/var/lib/phoenix/features.state) is younger than the snapshot''s snaptime (features an earlier run ran, which warned); it costs a qm config --snapshot and one read-only guest command per existing final snapshot. A converged VM is left alone, and -WhatIf says nothing would be retaken, so a job that always passes the switch changes nothing. Refused with a warning, the snapshot kept, where Proxmox would refuse: a disk lies on a storage that cannot take snapshots, or on Ceph RBD (which keeps a snapshot protected while it has clones) with a VM of the file a linked clone of it. A linked clone on LVM-thin does not hold its snapshot (Proxmox deletes it and the clone lives on), so it is no reason to refuse.'
        RequireDependency   = 'Make a dependency outside the file that is absent or stopped an error for the VM (and skip what depends on it) instead of a warning.'
        FullClone           = 'True for full clones, false for linked ones. Default: Proxmox''s choice (linked from a template, full otherwise).'
        DefaultTemplateVmId = 'The base template cloned when a VM names neither clone_from_vmid nor template_vmid. Default: 9000.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec')
    Notes       = 'A changed cloud-init snippet changes the VM''s instance-id (Proxmox makes it from the snippets), so cloud-init runs its first-boot steps again at the next start; the result notes it.'
    Examples    = @(
        @{
            Title   = 'Deploy a config file'
            Code    = "Connect-PhoenixHost -HostName pve1 -KeyFile ~/.ssh/id_ed25519`nImport-PhoenixConfig ./phoenix_vm_configs.json | Deploy-PhoenixVm -FeaturePath ./my-features"
            NotRun  = 'connects to a real Proxmox host over SSH'
            Remarks = 'Builds every VM of the file in dependency order; features not bundled with Phoenix come from ./my-features.'
        }
        @{
            Title   = 'See the plan first'
            Code    = 'Import-PhoenixConfig ./phoenix_vm_configs.json | Deploy-PhoenixVm -FeaturePath ./my-features -WhatIf'
            Remarks = 'Prints, per VM, the qm and pvesm commands, the snippet uploads and what would run in the guest that a real run would do, and changes nothing. The real-world file names features of its own, found here in ./my-features.'
        }
        @{
            Title   = 'Save the plan as JSON'
            Code    = "Import-PhoenixConfig ./phoenix_vm_configs.json | Deploy-PhoenixVm -FeaturePath ./my-features -WhatIf -InformationVariable info`n`$info | Where-Object Tags -Contains PhoenixPlan | ForEach-Object MessageData | ConvertTo-Json | Set-Content plan.json"
            Remarks = 'The same plan as objects, one per VM with its lines, as a CI job publishes it (examples/ci).'
        }
        @{
            Title   = 'Part of a fleet, faster'
            Code    = "Import-PhoenixConfig ./fleet.json | Where-Object Name -like 'docker-*' | Deploy-PhoenixVm -ThrottleLimit 8 | Format-Table"
            Remarks = 'Deploys only the docker VMs, eight at a time, and shows one line per VM.'
        }
    )
    Links       = @('Import-PhoenixConfig', 'New-PhoenixVm', 'Set-PhoenixCloudInit', 'Invoke-PhoenixFeature', 'New-PhoenixSnapshot', 'about_Phoenix')
}
