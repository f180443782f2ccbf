@{
    # Words for parameters that many cmdlets share; a cmdlet's own file can override them.
    Parameters = @{
        Session      = 'The session to work through, as Connect-PhoenixHost returns it. Without it, the default session (the last one connected) is used. Binds by property name, so the objects of other Phoenix cmdlets carry their session along the pipeline.'
        FeaturePath  = 'Folders that hold feature scripts (feature_install_<name>.sh) besides the ones bundled with the module. A feature found in a folder given here takes precedence over a bundled one of the same name.'
        TemplatePath = 'A folder with your own user-data.template.yml and network-config.template.yml, used instead of the templates bundled with the module.'
        VmId         = 'The Proxmox VM ID (100 to 999999999). Binds by property name from VmSpec, PhoenixVm and the other Phoenix objects.'
        Spec         = 'The config entry (VmSpec) the VM comes from; binds by property name so that it travels down a pipeline to Invoke-PhoenixFeature and Deploy steps.'
        Name         = 'The name.'
        Path         = 'The path of the configuration file. Wildcards are allowed; paths bind from the pipeline.'
        LiteralPath  = 'The path of the configuration file, taken literally (no wildcards).'
    }
}
