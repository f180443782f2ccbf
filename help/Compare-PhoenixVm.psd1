@{
    Synopsis    = 'Lists how VMs differ from their config entries, one object per difference, with what Deploy-PhoenixVm would do about it. Changes nothing.'
    Description = @'
Compare-PhoenixVm takes config entries from the pipeline (Import-PhoenixConfig) and, for each, compares the VM on the host with what the entry says, using the same models Deploy-PhoenixVm converges with. It writes one VmDrift object per difference (with Node, where the VM was compared: in a cluster the node that owns it, or for a VM not yet made the node its config names): VmId, Name, Field, Wanted, Actual, Action and Reason. A VM that is as its entry says writes nothing, so no output means Deploy-PhoenixVm would change nothing.

What it compares:
- The configuration, field by field as Proxmox means the values (see about_Phoenix_Config): the named fields (cores, memory_mb, start_at_boot, boot_order, boot_delay, network_bridge, disk_size_gb, storage_pool) and every qm_options key. Property strings are read by their schema, disks by storage and size, NICs by model, bridge and options (the MAC is the host's), tags as a set. One `qm config` per VM.
- Cloud-init: the SHA-256 of the user-data and network-config snippets the entry renders against the files on the host, and whether the VM's cicustom points at them and its drive was regenerated from them.
- Snapshots that should exist (pre-features, post-features, template_snapshot_name).
- Features whose script or context changed since they last succeeded in the guest, read from the guest's feature record (/var/lib/phoenix/features.state) as Invoke-PhoenixFeature reads it; a stopped VM or a silent guest agent makes each feature a difference whose Reason says the record could not be read.

Action is what Deploy-PhoenixVm would do: Set (one qm set), Resize (qm resize to grow a disk), Regenerate (upload the snippets and regenerate the cloud-init drive), RunFeature, Snapshot, Clone (the VM does not exist), Build (the template does not exist), or None-CannotChange: a difference Phoenix never changes on its own (a disk bigger than wanted, a disk on another storage, a renamed VM, a value it cannot compare), with the reason.

Every command goes through a plan, as under -WhatIf: the host is only read. The objects are plain data, so ConvertTo-Json gives CI the same facts; the table view shows VmId, Name, Field, Wanted, Actual and Action.
'@
    Parameters  = @{
        Spec                = 'The config entries to compare, from Import-PhoenixConfig. All piped entries are collected first, so clones of VMs in the same file are resolved against them.'
        SnippetStorage      = 'The storage whose snippets the cloud-init comparison reads, as Deploy-PhoenixVm -SnippetStorage. Default: local.'
        DefaultTemplateVmId = 'The base template a missing VM would be cloned from when it names neither clone_from_vmid, template_vmid nor template. Default: 9000.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec')
    Examples    = @(
        @{
            Title   = 'What drifted since the last deploy'
            Code    = 'Import-PhoenixConfig ./phoenix.json | Compare-PhoenixVm'
            Remarks = 'One row per difference; nothing at all when every VM is as the file says.'
        }
        @{
            Title   = 'Fail a CI job on drift'
            Code    = '$drift = Import-PhoenixConfig ./phoenix.json | Compare-PhoenixVm; $drift | ConvertTo-Json; if ($drift) { exit 1 }'
            Remarks = 'The JSON holds VmId, Name, Field, Wanted, Actual, Action and Reason for each difference.'
        }
    )
    Links       = @('Deploy-PhoenixVm', 'Import-PhoenixConfig', 'about_Phoenix_Config')
}
