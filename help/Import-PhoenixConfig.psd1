@{
    Synopsis    = 'Reads Phoenix config files and emits one validated VmSpec per VM, with vm_defaults merged in.'
    Description = @'
Import-PhoenixConfig reads one or more Phoenix configuration files (JSON with a "vms" list and an optional "vm_defaults" object) and writes one Phoenix.Engine.Config.VmSpec per VM to the pipeline, in file order. Each VM gets the values of vm_defaults it does not set itself; about_Phoenix_Config explains the merge rules and every field.

Every file is validated before anything is emitted, and all problems are reported at once: each error is a non-terminating error record whose error ID is the rule (VmIdRange, IpFormat, PasswordHashFormat, JsonSyntax, FileNotFound, ...), whose target is the VM (its VMID) or the file, and whose message gives file:line:column, the JSON path (vms[2].network_config.gw), what is wrong and how to fix it. Warnings (a dependency outside the file, an ignored template_snapshot_name, ...) go to the warning stream. A file with any error emits no VmSpec at all, so nothing reaches a host from a broken file. Files read in one call are validated as one set: VMIDs must be unique across them, and clones and dependencies may point from one file to another.

Fields Phoenix does not know (volumes, firewall, docker_stacks, ...) are kept in the VmSpec's Extra property (and in NetworkConfig.Extra and UserConfig.Extra for those sections) and go to feature scripts in their context file; they are never an error. Extra reads like the JSON it came from (.Properties(), ['firewall']['rules']), and ConvertTo-Json writes it as the object it is in the file.

Features are looked up by the one rule of about_Phoenix_Features (-FeaturePath, then PHOENIX_FEATURE_PATH, then the bundled folder). When you named feature folders, a feature found in none is an error; without them, a feature that is not bundled is a warning, since you may give its folder to Deploy-PhoenixVm instead, which finds every feature before it changes anything.

A clone_from_vmid or template_vmid that is no VM of the file is looked up on the host of -Session, or of the default session when one is connected (one qm list, only when the file has such a source): missing there, it is an error. Without a session it is unknown, not wrong: a warning, and Deploy-PhoenixVm checks it on the host before it changes the VM.

Secrets are never written to Verbose or Debug output or to error messages: a finding about password_hash never repeats the value, and the VmSpec's display shows only the user name and the number of SSH keys.
'@
    Parameters  = @{
        Path        = 'The config files to read. Wildcards are allowed (a pattern that matches no file is a FileNotFound error); strings from the pipeline bind here. Relative paths are taken from the current location.'
        LiteralPath = 'The config files to read, taken literally (no wildcard expansion). Files piped from Get-ChildItem bind here through their PSPath.'
        FeaturePath = 'Folders that hold your feature scripts (feature_install_<name>.sh), searched before PHOENIX_FEATURE_PATH and the bundled folder. When folders are named, a feature found in none is an error; without, a feature that is not bundled is a warning.'
        Session     = 'The session whose host is asked whether a clone source outside the file exists. Default: the default session, when one is connected; without any session such a source is a warning, checked later by Deploy-PhoenixVm.'
    }
    Inputs      = @('System.String (paths)', 'System.IO.FileInfo (through PSPath)')
    Notes       = 'Test-PhoenixConfig runs the same checks and returns the findings as objects instead of errors. The JSON Schema schema/phoenix-config.schema.json (in the module folder) lets editors complete and check the file.'
    Examples    = @(
        @{
            Title   = 'Import a config and look at it'
            Code    = "Import-PhoenixConfig ./phoenix_vm_configs.json | Format-Table"
            Remarks = 'Shows one row per VM: VMID, name, node, template flag, clone source, cores, memory, IP and features. vm_defaults (cores, memory_mb, storage_pool, ...) are already merged in.'
        }
        @{
            Title   = 'The whole workflow, step by step'
            Code    = "Import-PhoenixConfig ./cfg.json | Where-Object Name -like 'docker-*' | New-PhoenixVm | Set-PhoenixCloudInit | Start-PhoenixVm"
            Remarks = 'Each VmSpec flows into the next cmdlet by property name. If the file has an error, nothing is emitted and the later cmdlets do nothing.'
        }
        @{
            Title   = 'Several files, with your own features'
            Code    = "Get-ChildItem ./configs -Filter *.json | Import-PhoenixConfig -FeaturePath ./my-features -ErrorVariable problems`n`$problems | ForEach-Object { `$_.FullyQualifiedErrorId; `$_.Exception.Message }"
            Remarks = 'Reads every JSON file of the folder as one set (VMIDs unique across them) and checks the features against ./my-features and the bundled folder. The error records say which rule failed where.'
        }
    )
    Links       = @('Test-PhoenixConfig', 'ConvertTo-PhoenixCloudInit', 'Set-PhoenixCloudInit', 'about_Phoenix_Config')
}
