@{
    Synopsis    = 'Runs feature scripts inside VMs through the QEMU guest agent and returns one result per feature.'
    Description = @'
Invoke-PhoenixFeature runs features (bash scripts such as feature_install_docker.sh, see Get-PhoenixFeature) inside each VM, in the order given, through `qm guest exec` only: nothing is copied through NFS or any share, and no SSH connection into the guest is needed.

For each VM it first looks at the guest: one read-only guest exec gives the state of all the VM's features at once (a VM whose features are all done costs just that). If the guest agent does not answer yet, it is waited for (up to -AgentTimeoutSec; if it does not answer, the error is the one Wait-PhoenixGuestAgent gives). Then, for the features still to run:

1. one guest exec carries the context file and their scripts on standard input: a small fixed program in the guest writes the context file /tmp/vm_context.json (the VM's spec as JSON, with unknown fields kept and every secret, the password hash, removed; written in a private folder and renamed into place, and refused if something other than a regular file of root's is at that path) and the scripts to /var/lib/phoenix/features/feature_install_<name>.sh;

2. it starts them with /bin/bash, one after the other, detached, with PHOENIX_VMID, PHOENIX_VM_NAME, PHOENIX_USERNAME and PHOENIX_CONTEXT_FILE in their environment; each one's output goes to /var/lib/phoenix/features/<name>.log in the guest and its exit code to <name>.status when it ends (on a guest with systemd they run in a scope of their own, so an upgrade that restarts the guest agent does not kill them);

3. it follows them with one guest exec at a time that waits in the guest (up to 20 seconds) for the run to end and returns every feature's state and the new lines of their logs, which go to the Verbose stream and the progress bar, until the last exit code is there.

The files travel with `qm guest exec --pass-stdin`, which carries at most 1 MiB; scripts that do not fit together go in more than one start, and a script that does not fit with the context file is refused before anything is sent. Values (names, the spec) travel only as arguments or on standard input, never inside shell code.

The result (PhoenixFeatureResult) has VmId, VmName, Feature, Status, ExitCode, Changed (from the script's last PHOENIX_CHANGED=1 or PHOENIX_CHANGED=0 line; $null when it printed none), Duration (seconds), Output (stdout and stderr in order; when larger than 4 MiB only its end is kept and OutputTruncated is set), LogPath, ScriptHash, and the VM's Spec and Session, so the result pipes into New-PhoenixSnapshot.

Re-runs: after a feature succeeds, the guest records its name and a hash of the script and the context in /var/lib/phoenix/features.state. A feature still running from an earlier start (a deploy cut off while it ran) is followed to its end and its exit code taken; it is never started twice. A feature whose script and spec are unchanged since it last succeeded there is skipped (Status Skipped, Changed $false) without running any changing command; -Force runs it anyway. A state file that cannot be read counts as empty.

A feature that exits with a code other than 0 is a non-terminating error (FeatureFailed) targeting the VM; its message names the VM, the feature, the exit code (with its meaning under the bundled features' convention) and the last 20 lines of output, and the exception's Result holds the whole run. The VM's later features do not run; other VMs in the pipeline go on.

-TimeoutSec (default 30 minutes per feature) stops only the following, never the script: the error (FeatureTimeout) says the script is still running in the guest and gives the exact command to read its log, `qm guest exec <vmid> -- tail -n 50 /var/lib/phoenix/features/<name>.log`. The guest's run starts no later feature after one that took as long as the limit.

With -WhatIf nothing runs: below the operation's line, a What if: line says what the one guest exec that would deliver and start the features does ("in the guest: write /tmp/vm_context.json (990 bytes), run feature docker (13,027 bytes), follow its log"); -Verbose adds its exact qm guest exec command line. The read-only look at the features' state does run.

On the in-process simulator (Connect-PhoenixHost -Simulator) the guest records commands without running them: each feature is reported with Status RecordedNotRun and exit code 0, with a warning that the script did not run.

Feature folders are searched as Get-PhoenixFeature describes: -FeaturePath, then the environment variable PHOENIX_FEATURE_PATH, then the bundled folder.
'@
    Parameters  = @{
        VmId            = 'The VM to run the features in (100 to 999999999). Binds by property name from VmSpec, PhoenixVm and the other Phoenix objects. Without it, the VmId of -Spec is used.'
        Spec            = 'The VM''s entry of the config file (from Import-PhoenixConfig). Its features are the default for -Name and it becomes the context file. Binds from the pipeline, also by property name from PhoenixVm. Without a spec, the context file holds only the VM''s ID and name (from its config).'
        Name            = 'The features to run, in this order (the part between feature_install_ and .sh; exact, case-sensitive names). Default: the features of the spec. An unknown name is an error for that VM, and nothing runs on it.'
        TimeoutSec      = 'How long to follow each feature, in seconds (alias -Timeout). Default: 1800 (30 minutes). When it runs out the script goes on in the guest; the error says how to read its log.'
        AgentTimeoutSec = 'How long to wait for the guest agent before the first feature, and for it to come back if it stops answering while a feature runs, in seconds. Default: 60.'
        Force           = 'Run the features even when the guest''s state file says they already succeeded with the same script and spec.'
    }
    Inputs      = @('Phoenix.Engine.Config.VmSpec', 'Phoenix.PowerShell.PhoenixVm')
    Examples    = @(
        @{
            Title   = 'Install Docker in a VM'
            Code    = 'Invoke-PhoenixFeature -VmId 201 -Name docker -Verbose'
            Remarks = 'Runs the bundled docker feature in VM 201 and shows its log lines as they come. The context file carries only the VM''s ID and name; the user added to the docker group comes from PHOENIX_USERNAME, empty here, so pipe the spec in (next example) for features that need it.'
        }
        @{
            Title   = 'Run the features of every VM of a config file and take a golden snapshot'
            Code    = "Import-PhoenixConfig ./cfg.json |`n    Invoke-PhoenixFeature -FeaturePath ./features |`n    New-PhoenixSnapshot -Name golden"
            Remarks = 'Each VM runs the features listed in its spec, in order, with the spec as context file. A VM whose feature fails gets an error record and no snapshot; the other VMs go on. New-PhoenixSnapshot takes one snapshot per VM.'
        }
        @{
            Title   = 'See what would run'
            Code    = 'Get-PhoenixVm -VmId 201 | Invoke-PhoenixFeature -Name base_setup, docker -WhatIf'
            Remarks = 'Shows what the one guest exec that would deliver and start both features does (in the guest: write /tmp/vm_context.json (990 bytes), run features base_setup, docker (22,524 bytes), follow their logs), and runs none of it; -Verbose adds its exact qm guest exec command line.'
        }
        @{
            Title   = 'Run again although nothing changed'
            Code    = 'Invoke-PhoenixFeature -VmId 201 -Name docker -Force | Select-Object Feature, ExitCode, Changed, Duration'
            Remarks = 'Without -Force an unchanged feature that already succeeded is skipped. A bundled feature run again finds everything in place and reports Changed False.'
        }
    )
    Links       = @('Get-PhoenixFeature', 'Wait-PhoenixGuestAgent', 'New-PhoenixSnapshot', 'about_Phoenix_Features')
}
