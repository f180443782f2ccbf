@{
    Synopsis    = 'Builds a base template from a cloud image that is on the Proxmox host.'
    Description = @'
New-PhoenixTemplate makes the base template that VMs are cloned from, the way admins do it by hand: qm create (name, cores, memory, net0 on the bridge, virtio-scsi, ostype l26, agent 1, serial console), qm importdisk of the cloud image into -Storage, scsi0 attached, a cloud-init drive (ide2), boot from scsi0, the disk grown to -DiskSizeGb, then qm template.

The image is a path on the host, or a file name in the iso folder of -ImageStorage (for local: /var/lib/vz/template/iso), found with pvesm path. Or give -ImageUrl and -ImageSha256: the host downloads the image there itself under a temporary name, the checksum is verified, and only then is it renamed into place and imported (the in-process simulator cannot download).

Each step is checked first, so a run that stopped halfway is finished by the next one, and an existing template is reported unchanged. A config entry marked is_template builds the same way from its template_image; its template_snapshot_name is ignored with a warning, because a Proxmox template holds no snapshots. -WhatIf prints the exact qm commands.
'@
    Parameters  = @{
        Spec          = 'A config entry marked is_template, from Import-PhoenixConfig; its template_image, cores, memory, bridge and disk size are used.'
        VmId          = 'The template''s VM ID.'
        Name          = 'The template''s name.'
        Image         = 'The cloud image: an absolute path on the host, or a file name in the iso folder of -ImageStorage.'
        ImageStorage  = 'The storage whose iso folder holds images given by file name. Default: local.'
        Storage       = 'The storage for the template''s disk and cloud-init drive. Default: local-lvm.'
        Cores         = 'CPU cores of the template (clones can change them). Default: 2.'
        MemoryMb      = 'Memory of the template in MiB. Default: 2048.'
        DiskSizeGb    = 'Grow the imported disk to this size in GiB.'
        NetworkBridge = 'The bridge of net0. Default: vmbr0.'
        ImageUrl      = 'A URL the host downloads the cloud image from (with curl), into the iso folder of -ImageStorage under the URL''s file name. Needs -ImageSha256. An image already there with that checksum is not downloaded again.'
        ImageSha256   = 'The SHA-256 (64 hex digits) the downloaded image must have, from the distribution''s SHA256SUMS. A download that does not match is deleted and nothing is imported.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec')
    Examples    = @(
        @{
            Title   = 'A template from an image in the iso folder'
            Code    = 'New-PhoenixTemplate -VmId 9000 -Name ubuntu-2404-cloud-template -Image noble-server-cloudimg-amd64.img -DiskSizeGb 32'
            Remarks = 'Imports /var/lib/vz/template/iso/noble-server-cloudimg-amd64.img into local-lvm and converts the VM to a template.'
        }
        @{
            Title   = 'A template from a URL, checked'
            Code    = "New-PhoenixTemplate -VmId 9001 -Name ubuntu-2404 -ImageUrl https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img -ImageSha256 (Read-Host 'SHA-256 from SHA256SUMS')"
            NotRun  = 'downloads an image from the internet and asks for its SHA-256 (Read-Host)'
            Remarks = 'The Proxmox host downloads the image into /var/lib/vz/template/iso, checks its SHA-256 and builds the template from it.'
        }
        @{
            Title   = 'Templates of a config file'
            Code    = 'Import-PhoenixConfig ./phoenix_vm_configs.json | Where-Object IsTemplate | New-PhoenixTemplate -WhatIf'
            Remarks = 'Shows the commands that would build every is_template VM of the file that is not a template yet.'
        }
    )
    Links       = @('New-PhoenixVm', 'Deploy-PhoenixVm')
}
