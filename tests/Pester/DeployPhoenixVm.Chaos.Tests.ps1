# Deploy-PhoenixVm killed at moments spread over a deploy of the example config on the fake host (issue 10's
# chaos test): for each moment, the deploying pwsh is killed (SIGKILL) while the host runs the command that
# marks the moment; then one re-run must succeed and leave the host as an undisturbed deploy leaves it (VM
# configs with their snapshots, volumes, snippets and cloud-init drives, guest files), and a third run must
# change nothing. Moments are found by watching the host's audit log (or its snippets folder), never by a
# timer; the fault plan only slows the marking command where it would otherwise be over too soon to kill
# the client during it. Slow (a full deploy or more per moment): tagged Chaos, and the full suite runs it.

BeforeDiscovery {
    # Each moment: the fault plan while the first run goes, and what marks the moment (a line of the audit
    # log, or the first file of VM 201's snippets appearing, which is its upload under way).
    $script:moments = @(
        @{ Moment = 'during the clone'; Faults = @{ latency = @{ clone = 1.5 } }; Line = '^qm clone 9000 201 '; Snippet = $null }
        @{ Moment = 'during the snippet upload'; Faults = @{}; Line = $null; Snippet = 'user-data-201' }
        @{ Moment = 'during the start'; Faults = @{ latency = @{ start = 1.5 } }; Line = '^qm start 201$'; Snippet = $null }
        @{ Moment = 'during the wait for the guest agent'; Faults = @{ agentStartupDelaySeconds = 3 }; Line = '^qm guest cmd 201 ping$'; Snippet = $null }
        # The one guest exec that delivers the context file and the scripts and starts the features (--pass-stdin): killed
        # once it is sent, the docker feature goes on in the guest, and the re-run must follow it to its end.
        @{ Moment = 'while a feature runs'; Faults = @{}; Line = '^qm guest exec 201 --pass-stdin 1 '; Snippet = $null }
        @{ Moment = 'during a snapshot'; Faults = @{ latency = @{ snapshot = 1.5 } }; Line = '^qm snapshot 201 post-features '; Snippet = $null }
        @{ Moment = 'during the clone from a snapshot'; Faults = @{ latency = @{ clone = 1.5 } }; Line = '^qm clone 201 203 '; Snippet = $null }
    )
    foreach ($m in $moments) { if (-not $m.ContainsKey('Pending')) { $m.Pending = '' } }
}

BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:example = Join-Path $env:PHOENIX_REPO_ROOT 'examples/phoenix.example.json'
    # Agents answer at once unless a moment needs the wait: it only costs time.
    $script:basePlan = @{ agentStartupDelaySeconds = 0 }
    $script:changing = Get-ChangingCommandPattern

    function Set-FaultPlan($fake, [hashtable] $plan) {
        $all = $basePlan.Clone()
        foreach ($k in $plan.Keys) { $all[$k] = $plan[$k] }
        Set-Content -Path (Join-Path $fake.stateDir 'faults.json') -Value ($all | ConvertTo-Json -Depth 5)
    }

    function Invoke-Deploy($session) {
        Import-PhoenixConfig -Path $example | Deploy-PhoenixVm -Session $session -AgentTimeoutSec 60 -WarningAction SilentlyContinue `
            -ErrorAction SilentlyContinue
    }

    function Show-Difference($want, $have) {
        @(Compare-Object @($want) @($have) | ForEach-Object { "$(if ($_.SideIndicator -eq '<=') { 'undisturbed' } else { 'after kill ' }): $($_.InputObject)" })
    }
}

Describe 'A deploy of the example config killed part-way on the fake host' -Tag Chaos {
    BeforeAll {
        # The undisturbed deploy every moment is compared with.
        $quiet = Start-FakeHostSession
        try {
            Set-FaultPlan $quiet.Fake @{}
            $script:undisturbed = Invoke-Deploy $quiet.Session
            $script:reference = @(Get-FakeHostState $quiet.Fake)
        } finally { Stop-FakeHostSession $quiet }
    }

    It 'deploys undisturbed' {
        $undisturbed.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        $reference | Should -Contain 'vm 203 running: True'
    }

    Context 'killed <Moment>' -ForEach $moments {
        BeforeAll {
            if ($Pending) { return }
            $script:run = Start-FakeHostSession
            $fake = $script:run.Fake
            Set-FaultPlan $fake $Faults
            $connect = "Connect-PhoenixHost -HostName $($fake.host) -Port $($fake.port) -UserName $($fake.user) -KeyFile '$($fake.keyFile)' " +
                "-HostKeyFingerprint '$($fake.hostKeyFingerprint)' | Out-Null; "
            $child = Start-ChildPwsh ($connect + "Import-PhoenixConfig -Path '$example' | Deploy-PhoenixVm -AgentTimeoutSec 60 " +
                "-WarningAction SilentlyContinue -ErrorAction SilentlyContinue")
            $exited = { $child.HasExited }
            if ($Line) {
                $hit = Wait-AuditLine $fake -Pattern $Line -Until $exited
            } else {
                # An upload is over in milliseconds: watch the snippets folder closely and kill at the first sign of it.
                $snippets = Join-Path $fake.stateDir 'node/var/lib/vz/snippets'
                $deadline = [DateTime]::UtcNow.AddSeconds(120)
                $hit = $null
                while (-not $hit -and -not $child.HasExited -and [DateTime]::UtcNow -lt $deadline) {
                    if ([System.IO.Directory]::Exists($snippets)) {
                        $hit = [System.IO.Directory]::GetFiles($snippets) | Where-Object { $_.Contains($Snippet) } | Select-Object -First 1
                    }
                    if (-not $hit) { Start-Sleep -Milliseconds 1 }
                }
            }
            $script:killed = -not $child.HasExited
            Stop-Process -Id $child.Id -Force -ErrorAction Ignore
            $script:marker = $hit
            $child.WaitForExit()
            # What the host had been asked when the client died, for the failure messages.
            $script:lastCommand = @(Get-Audit $fake)[-1]
            Set-FaultPlan $fake @{}

            # At once, as an admin re-runs: what the killed run started on the host may still be running (a clone, a
            # snapshot, a feature in the guest), and the re-run must wait for it or follow it, never do it twice.
            $script:rerun = Invoke-Deploy $run.Session
            Wait-FakeHostIdle $fake
            $script:after = @(Get-FakeHostState $fake)
            $before = @(Get-Audit $fake).Count
            $script:third = Invoke-Deploy $run.Session
            $script:thirdChanging = @(Get-Audit $fake | Select-Object -Skip $before | Where-Object { $_ -match $changing })
        }
        AfterAll {
            if ($Pending) { return }
            Stop-FakeHostSession $run
        }

        It 'kills the deploy at that moment' {
            if ($Pending) { Set-ItResult -Pending -Because $Pending; return }
            $marker | Should -Not -BeNullOrEmpty -Because 'the moment must come before the deploy ends'
            $killed | Should -BeTrue -Because "the deploy must still run when it is killed (last command: $lastCommand)"
        }

        It 'is finished by one re-run' {
            if ($Pending) { Set-ItResult -Pending -Because $Pending; return }
            $errors = ($rerun | ForEach-Object { $_.Errors }) -join ' | '
            $rerun.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded') -Because "the re-run's errors: $errors"
        }

        It 'leaves the host as an undisturbed deploy does' {
            if ($Pending) { Set-ItResult -Pending -Because $Pending; return }
            $diff = Show-Difference $reference $after
            $diff | Should -BeNullOrEmpty -Because ("killed after '$lastCommand', the host differs:`n" + ($diff -join "`n"))
        }

        It 'changes nothing on a third run' {
            if ($Pending) { Set-ItResult -Pending -Because $Pending; return }
            $third.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
            $third.Changed | Should -Be @($false, $false, $false, $false)
            $thirdChanging | Should -BeNullOrEmpty
        }
    }
}
