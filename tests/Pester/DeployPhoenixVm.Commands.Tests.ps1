# Deploy-PhoenixVm's round trips, pinned: every qm/pvesm/pvesh on a real node starts a Perl interpreter, so the
# fake host's command log (commands.log) is the meter. A fleet like the benchmark's (clones of template 9000 with
# static cloud-init, one feature, a post-features snapshot), deployed and then re-run, over one SSH connection.
# The counts are upper bounds at what Phoenix needs today (tools/bench/README.md says why each command is there),
# so that no round trip creeps back unnoticed.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force

    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-commands-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $null = New-Item -ItemType Directory (Join-Path $work 'features')
    Set-Content -Path (Join-Path $work 'features/feature_install_mark.sh') -Value @'
#!/bin/bash
# Description: test feature that reports a change
echo PHOENIX_CHANGED=1
'@
    $script:config = Join-Path $work 'fleet.json'
    [ordered]@{
        vm_defaults = [ordered]@{
            features = @('mark')
            snapshots = [ordered]@{ 'post-features' = $true }
            network_config = [ordered]@{ nameservers = @('10.9.0.1'); searchdomain = 'cmd.lab' }
            user_config = [ordered]@{ username = 'cmd' }
        }
        vms = @(301, 302, 303 | ForEach-Object {
                [ordered]@{ vmid = $_; name = "cmd-$_"; network_config = [ordered]@{ ip = "10.9.0.$($_ - 280)/24"; gw = '10.9.0.1' } }
            })
    } | ConvertTo-Json -Depth 8 | Set-Content $config
    $script:vmCount = 3

    # The commands of one run: the lines the log gained since $Before.
    function Get-RunCommands([int] $Before) { @(Get-Audit $fake | Select-Object -Skip $Before) }
    function Get-AcceptedConnections { @(Select-String -Path (Join-Path $fake.root 'sshd/sshd.log') -Pattern '^Accepted publickey for ').Count }

    $script:run = Start-FakeHostSession
    $script:fake = $run.Fake
    # The agent answers a second after the start, as in the benchmark: the feature's start, sent a poll interval after the VM's
    # start, finds it (qm guest exec asks the agent itself).
    Set-Content (Join-Path $fake.stateDir 'faults.json') '{ "agentStartupDelaySeconds": 1 }'
    $script:connectionsBefore = Get-AcceptedConnections
    # What the session itself costs, once, before any run: the cluster's node list (a single node lists itself).
    $script:sessionCommands = Get-RunCommands 0
    $script:first = Import-PhoenixConfig -Path $config -FeaturePath (Join-Path $work 'features') |
        Deploy-PhoenixVm -FeaturePath (Join-Path $work 'features') -ThrottleLimit 1 -AgentTimeoutSec 60 -WarningAction SilentlyContinue
    $script:firstCommands = Get-RunCommands $sessionCommands.Count
    $script:firstConnections = (Get-AcceptedConnections) - $connectionsBefore
    $script:second = Import-PhoenixConfig -Path $config -FeaturePath (Join-Path $work 'features') |
        Deploy-PhoenixVm -FeaturePath (Join-Path $work 'features') -ThrottleLimit 2 -AgentTimeoutSec 60 -WarningAction SilentlyContinue
    $script:secondCommands = Get-RunCommands ($sessionCommands.Count + $firstCommands.Count)
}

AfterAll {
    Stop-FakeHostSession $run
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}

Describe 'Deploy-PhoenixVm round trips on the fake host' {
    It 'deploys the fleet, and the re-run changes nothing' {
        $first.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        $second.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        $second.Changed | Should -Be @($false, $false, $false)
    }

    It 'costs the session one read, the cluster''s node list, before any run' {
        $sessionCommands | Should -Be @('pvesh get /cluster/status --output-format json')
    }

    It 'sends every command and file of a run over the one SSH connection of the session' {
        # The session's connection was opened before the run; the run opens none (no SFTP connection beside it).
        $firstConnections | Should -Be 0
    }

    It 'costs a first deploy no read of a VM it is about to clone, no qm status, and the run-wide facts once' {
        $firstCommands | Should -Contain 'pvesh get /cluster/resources --type vm --output-format json'
        @($firstCommands -match '^pvesh get /cluster/resources') | Should -HaveCount 1
        @($firstCommands -match '^pvesm status') | Should -HaveCount 1
        @($firstCommands -match '^pvesm path') | Should -HaveCount 1
        @($firstCommands -match '^qm status') | Should -HaveCount 0
        # The template's config once for the run; a clone of it is not read back.
        @($firstCommands -match '^qm config 9000') | Should -HaveCount 1
        foreach ($id in 301, 302, 303) {
            @($firstCommands -match "^qm config $id\b") | Should -HaveCount 0 -Because "VM $id is cloned from the template and not read back"
            @($firstCommands -match "^qm set $id\b") | Should -HaveCount 1 -Because 'one qm set carries every option and cicustom'
            @($firstCommands -match "^qm cloudinit update $id\b") | Should -HaveCount 0 -Because 'the start regenerates the drive'
            @($firstCommands -match "^qm listsnapshot $id\b") | Should -HaveCount 0 -Because 'a VM cloned this run has no snapshot'
            # No ping: the feature's start is the first command for the guest (a poll interval after the VM's start), and qm
            # guest exec asks the agent itself before it runs anything.
            @($firstCommands -match "^qm guest cmd $id ") | Should -HaveCount 0
            # A clone of this run holds no feature state: no first look; the start (context and script) waits in the guest for the
            # quick feature and answers with its end, so no poll follows it.
            @($firstCommands -match "^qm guest exec $id ") | Should -HaveCount 1
            @($firstCommands -match "^qm guest exec $id .* phoenix-poll ") | Should -HaveCount 0
        }
    }

    It 'asks the snippet storages when the run begins (beside its listing), before any clone, not when the first VM reaches cloud-init' {
        # Sent before the listing, whose answer the first clone waits for; the two reads may reach the host in either order.
        $storages = [array]::IndexOf([string[]] $firstCommands, 'pvesm status --content snippets')
        $firstClone = @(0..($firstCommands.Count - 1) | Where-Object { $firstCommands[$_] -match '^qm clone ' })[0]
        $storages | Should -BeGreaterOrEqual 0
        $storages | Should -BeLessThan $firstClone
    }

    It 'costs a first deploy at most 5 commands a VM and 4 for the run at -ThrottleLimit 1' {
        # Per VM: clone, set (every option and cicustom), start, the feature's start (which asks the agent and brings the
        # feature's end), snapshot. For the run: the listing, pvesm status, pvesm path, the template's config.
        $firstCommands.Count | Should -BeLessOrEqual (4 + 5 * $vmCount)
    }

    It 'costs a converged re-run one listing for the fleet and one qm config a VM besides the feature step, all read-only' {
        @($secondCommands -match '^pvesh get /cluster/resources') | Should -HaveCount 1
        foreach ($id in 301, 302, 303) {
            @($secondCommands -match "^qm config $id\b") | Should -HaveCount 1
            @($secondCommands -match "^qm (status|listsnapshot|start|set|snapshot|cloudinit) $id\b") | Should -HaveCount 0
            # The one look at its features' state answers at once: started with --synchronous 0 (qm answers with its pid at once),
            # its answer taken with exec-status (asked again, after a short wait, only while the guest program has not ended).
            @($secondCommands -match "^qm guest exec $id ") | Should -HaveCount 1
            @($secondCommands -match "^qm guest exec $id --synchronous 0 -- /bin/sh -c .* phoenix-poll ") | Should -HaveCount 1
            @($secondCommands -match "^qm guest exec-status $id \d+$").Count | Should -BeGreaterOrEqual 1
        }
        @($secondCommands -match '^qm guest exec .*--pass-stdin') | Should -HaveCount 0
        # The agent of a VM that runs is not pinged: the feature step's one look talks to it.
        @($secondCommands -match '^qm guest cmd ') | Should -HaveCount 0
        # The listing, pvesm status, one pvesm path; per VM its config and the one look at its features' state (besides the
        # exec-status that takes the look's answer).
        @($secondCommands -notmatch '^qm guest exec-status ').Count | Should -BeLessOrEqual (3 + 2 * $vmCount)
        # Nothing else: every command of the re-run is one of these reads.
        $reads = '^(pvesh get /cluster/resources |pvesm (status|path) |qm config 30[123]$|' +
            'qm guest exec 30[123] --synchronous 0 -- |qm guest exec-status 30[123] \d+$)'
        @($secondCommands -notmatch $reads) | Should -Be @()
    }
}
