@{
    Synopsis    = 'Renders the cloud-init user-data and network-config of VMs, offline.'
    Description = @'
ConvertTo-PhoenixCloudInit renders a VM's cloud-init files from its VmSpec and returns a Phoenix.Engine.CloudInit.CloudInitDocument with UserData, NetworkConfig, the snippet file names (user-data-<VMID>.yml, network-config-<VMID>.yml), the SHA-256 of each file and a combined Hash. It touches no host, so it is the way to look at what Set-PhoenixCloudInit would upload.

Every value goes into the templates as a correctly quoted YAML scalar or list, and the result is parsed back and compared with the values before it is returned: a quote, colon, # or newline in a value cannot change the document's structure. User-data starts with #cloud-config on line 1. A static address renders addresses, gateway and nameservers; dhcp renders dhcp4: true. Values that validation refuses (a hostname that is not a DNS name, a plain-text password, ...) are an InvalidCloudInitValue error naming the VM, without the secret.

The default templates ship in the module's templates/cloud-init folder; -TemplatePath replaces them with yours. A placeholder a template uses that Phoenix does not know is an error, not silent text.

The document's default display shows the file names and hashes only. UserData holds the password hash when the spec has one: look at it deliberately ($doc.UserData), not in logs.
'@
    Parameters  = @{
        Spec         = 'The VM to render, as Import-PhoenixConfig emits it. Binds from the pipeline by value (a VmSpec) or by property name (the Spec property of PhoenixVm and the other Phoenix objects).'
        TemplatePath = 'A folder with your own user-data.template.yml and/or network-config.template.yml; a file the folder lacks is taken from the defaults. Default: the templates bundled with the module.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec', 'Objects with a Spec property (PhoenixVm, CloudInitResult)')
    Examples    = @(
        @{
            Title   = 'See what a VM would get'
            Code    = "`$doc = Import-PhoenixConfig ./cfg.json | Where-Object VmId -eq 1001 | ConvertTo-PhoenixCloudInit`n`$doc.NetworkConfig"
            Remarks = 'Renders VM 1001 offline and prints its network-config; $doc.Hash is the value Set-PhoenixCloudInit compares with what is on the host.'
        }
        @{
            Title   = 'Check rendered files with cloud-init''s own tools'
            Code    = "`$doc = Import-PhoenixConfig ./cfg.json | Select-Object -First 1 | ConvertTo-PhoenixCloudInit -TemplatePath ./my-templates`nSet-Content ud.yml `$doc.UserData -NoNewline; cloud-init schema -c ud.yml"
            Remarks = 'Renders with your own templates and validates the user-data with cloud-init schema.'
        }
    )
    Links       = @('Set-PhoenixCloudInit', 'Import-PhoenixConfig', 'about_Phoenix_Config')
}
