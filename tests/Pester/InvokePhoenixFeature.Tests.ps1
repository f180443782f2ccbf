BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:savedPath = $env:PHOENIX_FEATURE_PATH
    $env:PHOENIX_FEATURE_PATH = $null

    $script:features = Join-Path $TestDrive 'features'
    $null = New-Item -ItemType Directory $features
    foreach ($name in 'hello', 'fail', 'second') {
        Set-Content -Path (Join-Path $features "feature_install_$name.sh") `
            -Value "#!/usr/bin/env bash`n# Description: Test feature $name.`necho $name" -NoNewline
    }

    $script:hash = (Get-TestSecret).PasswordHash
    $config = @{
        vms = @(
            @{ vmid = 101; name = 't1'; clone_from_vmid = 9000; features = @('hello'); docker_stacks = @('portainer_service')
               user_config = @{ username = 'phoenix_user'; password_hash = $hash } }
            @{ vmid = 102; name = 't2'; clone_from_vmid = 9000; features = @('hello') }
        )
    } | ConvertTo-Json -Depth 5
    $script:specs = (Get-PhoenixType Phoenix.Engine.Config.PhoenixConfigLoader)::Parse($config).Vms
}

AfterAll {
    $env:PHOENIX_FEATURE_PATH = $savedPath
}

Describe 'Invoke-PhoenixFeature on the in-process simulator' {
    # Each test on a node of its own with VMs 101 and 102 cloned from 9000 and running (agent at once).
    BeforeEach { $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 't1'; 102 = 't2' }) -Running -NoDefault }
    AfterEach { Stop-SimulatorNode $node }

    It 'runs the spec''s features and reports each as recorded, not run, with a warning' {
        $warn = $null
        $r = $specs[0] | Invoke-PhoenixFeature -Session $node.Session -FeaturePath $features -WarningVariable warn -WarningAction SilentlyContinue
        $r | Should -HaveCount 1
        $r | Should -BeOfType ([Phoenix.PowerShell.PhoenixFeatureResult])
        $r.VmId | Should -Be 101
        $r.VmName | Should -Be 't1'
        $r.Feature | Should -Be 'hello'
        $r.Status | Should -Be 'RecordedNotRun'
        $r.ExitCode | Should -Be 0
        $r.Changed | Should -BeNullOrEmpty
        $r.Output | Should -Be ''
        $r.LogPath | Should -Be '/var/lib/phoenix/features/hello.log'
        $r.Session.Id | Should -Be $node.Session.Id
        $r.Spec.VmId | Should -Be 101
        $warn | Should -HaveCount 1
        "$($warn[0])" | Should `
            -Be ("VM 101 (t1): the guest recorded feature 'hello' without running it (the in-process simulator runs no guest commands), so its " +
                "exit code 0 says nothing about the script.")

        # One look at the features' state, then one start with the context file and the script on stdin.
        $log = $node.Sim.GuestLog(101)
        $log | Should -HaveCount 2
        $log[0].Command[3] | Should -Be 'phoenix-poll'
        $log[0].Command[4..9] | Should -Be @('/var/lib/phoenix/features', '/var/lib/phoenix/features.state', '0', '1048576', 'hello', '-1')
        $log[1].Command[3] | Should -Be 'phoenix-start'
        $log[1].Command[7] | Should -Be '/tmp/vm_context.json'
        $contextBytes = [int]$log[1].Command[8]
        $context = [Text.Encoding]::UTF8.GetString($log[1].Input, 0, $contextBytes)
        $context | Should -Be $specs[0].ToContextJson()
        $context | Should -Not -Match 'password_hash'
        $context | Should -Not -Match ([regex]::Escape($hash))
        ($context | ConvertFrom-Json).docker_stacks | Should -Be 'portainer_service'
        $script = Get-Content -Raw (Join-Path $features 'feature_install_hello.sh')
        [Text.Encoding]::UTF8.GetString($log[1].Input, $contextBytes, $log[1].Input.Length - $contextBytes) | Should -Be $script
        $log[1].Command[9] | Should -Match "^hello [0-9a-f]{64} $([Text.Encoding]::UTF8.GetByteCount($script)),$"
        # The time limit of one feature (s), how long the start waits for the run (ticks of 0.1 s) and the log bytes it brings.
        $log[1].Command[10..12] | Should -Be @('1800', '200', '1048576')
        $log[1].Command[13..17] | Should -Be @('env', 'PHOENIX_VMID=101', 'PHOENIX_VM_NAME=t1', 'PHOENIX_USERNAME=phoenix_user',
            'PHOENIX_CONTEXT_FILE=/tmp/vm_context.json')
    }

    It 'takes the VM from a PhoenixVm, runs the features of -Name in order, and pipes on to New-PhoenixSnapshot' {
        $r = Get-PhoenixVm -Session $node.Session -VmId 102 | Invoke-PhoenixFeature -Name second, hello -FeaturePath $features -WarningAction SilentlyContinue
        $r.Feature | Should -Be @('second', 'hello')
        $r.VmId | Should -Be @(102, 102)
        $r[0].Spec | Should -BeNullOrEmpty
        $start = @($node.Sim.GuestLog(102) | Where-Object { $_.Command.Count -gt 3 -and $_.Command[3] -eq 'phoenix-start' })
        $start | Should -HaveCount 1
        ($start[0].Command[9] -split ',' | Where-Object { $_ } | ForEach-Object { ($_ -split ' ')[0] }) | Should -Be @('second', 'hello')
        # Without a spec the context file holds the VM's ID and name from its config.
        $context = [Text.Encoding]::UTF8.GetString($start[0].Input, 0, [int]$start[0].Command[8])
        ($context | ConvertFrom-Json).name | Should -Be 't2'

        $snap = $r | New-PhoenixSnapshot -Name golden
        $snap | Should -HaveCount 1
        $snap.VmId | Should -Be 102
        $snap.Name | Should -Be 'golden'
        (Get-PhoenixSnapshot -Session $node.Session -VmId 102).Name | Should -Contain 'golden'
    }

    It 'writes a FeatureFailed error naming VM, feature, exit code and last 20 lines; the next feature does not run; other VMs go on' {
        $lines = (1..25 | ForEach-Object { "line $_" }) -join "`n"
        @{
            guestResults = @(
                @{ pattern = 'phoenix-start .*vm_context\.json \d+ fail '; exitCode = 0; stdout = "phoenix-started 4321`n" }
                @{ pattern = 'phoenix-poll .* fail 0 second 0$'; exitCode = 0
                   stdout = "phoenix-poll 0`nphoenix-state fail - 3 -`nphoenix-state second - none -`nphoenix-log fail $($lines.Length + 1)`n$lines`n" }
            )
        } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $node.Dir 'faults.json')
        $failing = (Get-PhoenixType Phoenix.Engine.Config.PhoenixConfigLoader)::Parse((@{
            vms = @(@{ vmid = 101; name = 't1'; features = @('fail', 'second') }, @{ vmid = 102; name = 't2'; features = @('hello') })
        } | ConvertTo-Json -Depth 5)).Vms

        $err = $null
        $out = $failing | Invoke-PhoenixFeature -Session $node.Session -FeaturePath $features -ErrorVariable err -ErrorAction SilentlyContinue `
            -WarningAction SilentlyContinue

        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'FeatureFailed,Phoenix.PowerShell.Commands.InvokePhoenixFeatureCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $err[0].TargetObject | Should -Be 101
        $err[0].Exception.Message | Should `
            -Be ("VM 101 (t1): feature 'fail' failed with exit code 3 (package manager (apt) failure, by the convention of the bundled features). " +
            "Not run after it: second. Last 20 lines of its output:`n" + ((6..25 | ForEach-Object { "line $_" }) -join "`n"))
        $err[0].ErrorDetails.RecommendedAction | Should -BeLike 'Read the whole log with: qm guest exec 101 -- tail -n 50 /var/lib/phoenix/features/fail.log.*'
        $err[0].Exception.Result.ExitCode | Should -Be 3
        $err[0].Exception.Result.Output | Should -Be "$lines`n"

        $out | Should -HaveCount 1
        $out.VmId | Should -Be 102
        $out.Feature | Should -Be 'hello'
        # VM 101: the look, the one start, the one poll that found the failure; nothing after it.
        ($node.Sim.GuestLog(101) | ForEach-Object { $_.Command[3] }) | Should -Be @('phoenix-poll', 'phoenix-start', 'phoenix-poll')
    }

    It 'stops following at -TimeoutSec without stopping the script, says how to read its log, and shows the poll once in Verbose' {
        @{
            guestResults = @(
                @{ pattern = 'phoenix-start .*vm_context\.json \d+ hello '; exitCode = 0; stdout = "phoenix-started 4321`n" }
                @{ pattern = 'phoenix-poll .* hello \d+ second \d+$'; exitCode = 0
                   stdout = "phoenix-poll 1`nphoenix-state hello - running -`nphoenix-state second - running -`nphoenix-log hello 7`nstep 1`n" }
            )
        } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $node.Dir 'faults.json')
        $err = $null
        $verbose = Invoke-PhoenixFeature -Session $node.Session -VmId 101 -Name hello, second -FeaturePath $features -TimeoutSec 1 `
            -ErrorVariable err -ErrorAction SilentlyContinue -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'FeatureTimeout,Phoenix.PowerShell.Commands.InvokePhoenixFeatureCommand'
        $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err[0].Exception.Message | Should `
            -Be ("VM 101 (t1): feature 'hello' is still running in the guest after 1 s. Phoenix stopped following it but did not stop it, " +
            'and runs no later feature of this VM. Look at its log with: qm guest exec 101 -- tail -n 50 /var/lib/phoenix/features/hello.log')
        $polls = @($node.Sim.GuestLog(101) | Where-Object { $_.Command -contains 'phoenix-poll' })
        $polls.Count | Should -BeGreaterThan 1
        @($verbose | Where-Object { "$_" -match "' phoenix-poll " }) | Should -HaveCount 1
        @($verbose | Where-Object { "$_" -match 'later polls are not shown' }) | Should -HaveCount 1
        @($verbose | Where-Object { "$_" -eq 'VM 101 (t1) hello: step 1' }).Count | Should -BeGreaterThan 0
        # One start for both; nothing was started after the timeout.
        @($node.Sim.GuestLog(101) | Where-Object { $_.Command[3] -eq 'phoenix-start' }) | Should -HaveCount 1
        $node.Sim.GuestLog(101)[-1].Command[3] | Should -Be 'phoenix-poll'
    }

    It 'shows guest programs by what they do under -WhatIf, their exact lines in -Verbose, and runs nothing' {
        $before = @($node.Sim.GuestLog(101)).Count
        $run = Get-HostOutput { $specs[0] | Invoke-PhoenixFeature -Session $node.Session -FeaturePath $features -Name hello, second -WhatIf -Verbose 4>&1 }
        $text = $run.Text
        $both = ((Get-Item (Join-Path $features 'feature_install_hello.sh')).Length +
            (Get-Item (Join-Path $features 'feature_install_second.sh')).Length).ToString('N0', [cultureinfo]::InvariantCulture)
        $lines = @($text -split "`r?`n" | Where-Object { $_ -like 'What if:*' })
        $lines[0] | Should -Be 'What if: Performing the operation "Run features hello, second" on target "VM 101 (t1)".'
        # One start carries the context file and both scripts.
        $lines[1] | Should -Match ('^What if:     in the guest: write /tmp/vm_context\.json \([\d,]+ bytes\), ' + [regex]::Escape(
            "run features hello, second ($both bytes), follow their logs") + '$')
        $lines | Should -HaveCount 2
        $text | Should -Not -Match 'qm guest exec'
        # The exact command line of the planned start is in the Verbose stream.
        $exact = @($run.Output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'What if, exactly*' })
        $exact | Should -HaveCount 1
        $exact[0].Message | Should -BeLike ("What if, exactly (in the guest: write /tmp/vm_context.json (* bytes), run features hello*): " +
            "qm guest exec 101 --pass-stdin 1 -- /bin/sh -c 'r=`$1 d=`$2 s=`$3 c=`$4 n=`$5 l=`$6 m=`$7 j=`$8 v=`$9; shift 9; *' phoenix-start '*" +
            "' /var/lib/phoenix/features /var/lib/phoenix/features.state /tmp/vm_context.json *" +
            "env 'PHOENIX_VMID=101' 'PHOENIX_VM_NAME=t1' 'PHOENIX_USERNAME=phoenix_user' 'PHOENIX_CONTEXT_FILE=/tmp/vm_context.json' <<< (* bytes on stdin)")
        # Only the features' state was read in the guest; nothing was written or started.
        $after = @($node.Sim.GuestLog(101))
        $after.Count | Should -Be ($before + 1)
        $after[-1].Command[3] | Should -Be 'phoenix-poll'
    }

    It 'gives the guest agent waiting error for a VM whose agent does not answer' {
        $r = $node.Sim.Execute([string[]]@('qm', 'stop', '101'), [byte[]]::new(0), [Threading.CancellationToken]::None)
        $r.ExitCode | Should -Be 0
        $err = $null
        Invoke-PhoenixFeature -Session $node.Session -VmId 101 -Name hello -FeaturePath $features -AgentTimeoutSec 1 -ErrorVariable err `
            -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'AgentTimeout,Phoenix.PowerShell.Commands.InvokePhoenixFeatureCommand'
        $err[0].Exception.Message | Should -Be 'VM 101 (t1) is stopped, so its guest agent cannot answer (waited 1 s). Start it with Start-PhoenixVm -VmId 101.'
        ($node.Sim.GuestLog(101) | Where-Object { $_.Command -contains 'phoenix-start' }) | Should -BeNullOrEmpty
    }

    It 'writes an error for an unknown feature and sends nothing to that VM' {
        $err = $null
        Invoke-PhoenixFeature -Session $node.Session -VmId 101 -Name hello, nope -FeaturePath $features -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'FeatureNotFound,Phoenix.PowerShell.Commands.InvokePhoenixFeatureCommand'
        $err[0].Exception.Message | Should -BeLike "Feature 'nope' was not found. Known features: base_setup, docker, fail, hello, second.*"
        $node.Sim.GuestLog(101) | Should -BeNullOrEmpty
    }

    It 'needs features: a VM without a spec and without -Name is an error' {
        $err = $null
        Invoke-PhoenixFeature -Session $node.Session -VmId 101 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'NoFeatureNamed,Phoenix.PowerShell.Commands.InvokePhoenixFeatureCommand'
        $err[0].TargetObject | Should -Be 101
    }

    It 'accepts -Timeout as an alias of -TimeoutSec' {
        (Get-Command Invoke-PhoenixFeature).Parameters['TimeoutSec'].Aliases | Should -Be @('Timeout')
        $r = Invoke-PhoenixFeature -Session $node.Session -VmId 101 -Name hello -FeaturePath $features -Timeout 5 -WarningAction SilentlyContinue
        $r.Status | Should -Be 'RecordedNotRun'
    }

    It 'shows a table with the VM, the feature, its status, exit code, change and duration' {
        $r = Invoke-PhoenixFeature -Session $node.Session -VmId 101 -Name hello -FeaturePath $features -WarningAction SilentlyContinue
        $lines = ($r | Format-Table | Out-String -Width 200) -split "`r?`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match '^\s*VmId\s+VmName\s+Feature\s+Status\s+ExitCode\s+Changed\s+Duration\s*$'
        $lines[2] | Should -Match '^\s*101\s+t1\s+hello\s+RecordedNotRun\s+0\s+\d+\.\d s\s*$'
    }
}
