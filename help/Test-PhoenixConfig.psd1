@{
    Synopsis    = 'Validates Phoenix config files and returns every finding as an object, or $true/$false with -Quiet.'
    Description = @'
Test-PhoenixConfig runs the checks of Import-PhoenixConfig (reading, JSON syntax, types, and every rule of about_Phoenix_Config) and returns each finding as a Phoenix.Engine.Config.ConfigFinding: Severity (Error or Warning), Rule, File, Line, Column, JsonPath, Message and Suggestion, sorted by file and line. A clean file returns nothing. It writes no error records, so it is safe in scripts that stop on errors.

With -Quiet it returns one Boolean for everything it read: $true when there is no error (warnings are allowed), $false otherwise. That makes it a CI gate:

    if (-not (Test-PhoenixConfig ./phoenix_vm_configs.json -Quiet)) { exit 1 }

A missing file and a wildcard that matches nothing are findings (rule FileNotFound) like any other, so a gate over a mistyped path fails.

A clone_from_vmid or template_vmid that points to no VM of the file is checked against the VMs of the host of -Session, or of the default session when one is connected: missing there, it is an error. Without any session it is a warning (unknown, not wrong), and Deploy-PhoenixVm checks it on the host before it changes the VM. With a session on a cluster, a source outside the file that a VM of another node clones is read on its node (one qm config per source) and checked by the deploy's placement rules: what Proxmox would refuse (a local cdrom image, a storage the source's or the VM's node lacks) is a PlacementRefused error at the source's JSON path.
'@
    Parameters  = @{
        Path        = 'The config files to check. Wildcards are allowed; strings from the pipeline bind here.'
        LiteralPath = 'The config files to check, taken literally. Files piped from Get-ChildItem bind here through their PSPath.'
        FeaturePath = 'Folders that hold your feature scripts, searched before PHOENIX_FEATURE_PATH and the bundled folder (about_Phoenix_Features). When folders are named, a feature found in none is an error; without, a feature that is not bundled is a warning.'
        Quiet       = 'Return only $true (no error) or $false, one value for all files read.'
        Session     = 'The session whose host is asked whether a clone source outside the file exists. Default: the default session, when one is connected; without any session such a source is a warning.'
    }
    Inputs      = @('System.String (paths)', 'System.IO.FileInfo (through PSPath)')
    Notes       = 'With -Quiet the output is a System.Boolean, which OutputType does not list.'
    Examples    = @(
        @{
            Title   = 'A CI gate'
            Code    = "if (-not (Test-PhoenixConfig ./phoenix_vm_configs.json -Quiet)) { exit 1 }"
            Remarks = 'Fails the job when the file has any error; warnings do not fail it.'
        }
        @{
            Title   = 'Show every problem'
            Code    = "Test-PhoenixConfig ./cfg.json | Format-Table Severity, Rule, Line, JsonPath, Message -Wrap"
            Remarks = 'Each row says where the problem is (line and JSON path), which rule it breaks, and Message/Suggestion say what to change.'
        }
        @{
            Title   = 'Errors only, as editor-style lines'
            Code    = "Test-PhoenixConfig ./cfg.json | Where-Object Severity -eq Error | ForEach-Object ToString"
            Remarks = 'Prints file:line:col: error Rule: message Fix: suggestion, one line per error.'
        }
    )
    Links       = @('Import-PhoenixConfig', 'about_Phoenix_Config')
}
