# Load: 200 VMs in one deploy on the in-process simulator at -ThrottleLimit 16, with small latencies and three VMs
# that fail to start: every VM's result comes back once, every failure is reported for its own VM, and the test prints
# the pwsh process's peak memory (a figure for the README, not an assertion).
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode -NoDefault
    $script:key = (Get-TestSecret).Ed25519Key
    $script:ids = 2000..2199
    $script:failing = 2013, 2101, 2188
    Set-Content -LiteralPath (Join-Path $node.Dir 'faults.json') -Value (@{
            latency  = @{ clone = 0.02; start = 0.01; '*' = 0.005 }
            failures = @($failing | ForEach-Object {
                    @{ kind = 'start'; vmid = $_; count = 10; exitCode = 2; stderr = "start failed: injected fault for VM $_" }
                })
        } | ConvertTo-Json -Depth 5)
    $config = Join-Path $node.Dir 'fleet.json'
    Set-Content -LiteralPath $config -Value (@{
            vm_defaults = @{ user_config = @{ username = 'ops'; ssh_public_keys = @($key) } }
            vms         = @($ids | ForEach-Object {
                    @{ vmid = $_; name = "load-$_"; network_config = @{ ip = "10.$([math]::Floor($_ / 250) % 250).$($_ % 250).10/24"; gw = "10.$([math]::Floor($_ / 250) % 250).$($_ % 250).1" } }
                })
        } | ConvertTo-Json -Depth 10)
    $script:results = Import-PhoenixConfig $config | Deploy-PhoenixVm -Session $node.Session -ThrottleLimit 16 -AgentTimeoutSec 60 `
        -ErrorVariable script:errors -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
    $peak = [math]::Round((Get-Process -Id $PID).PeakWorkingSet64 / 1MB)
    Write-Host "load: 200 VMs at -ThrottleLimit 16 on the in-process simulator; pwsh peak working set $peak MB"
}

AfterAll { Stop-SimulatorNode $node }

Describe 'Deploy-PhoenixVm with 200 VMs at -ThrottleLimit 16' {
    It 'returns every VM''s result exactly once' {
        $results | Should -HaveCount 200
        @($results.VmId | Sort-Object) | Should -Be $ids
        @($results.VmId | Sort-Object -Unique) | Should -HaveCount 200
    }

    It 'deploys every VM but the three that fail to start, and loses none of their errors' {
        @($results | Where-Object Status -EQ 'Succeeded') | Should -HaveCount 197
        $failed = @($results | Where-Object Status -NE 'Succeeded')
        @($failed.VmId | Sort-Object) | Should -Be $failing
        foreach ($f in $failed) { ($f.Errors -join "`n") | Should -BeLike "*injected fault for VM $($f.VmId)*" }
        @($errors | Where-Object { $_.TargetObject -in $failing }) | Should -HaveCount 3
        foreach ($id in $failing) {
            (@($errors | Where-Object TargetObject -EQ $id)[0].Exception.Message) | Should -BeLike "*VM $id*"
        }
    }

    It 'leaves the host with the 200 VMs, each with its own cloud-init, and only the three failed ones stopped' {
        $vms = @(Get-PhoenixVm -Session $node.Session -NoSnapshots | Where-Object { $_.VmId -in $ids })
        $vms | Should -HaveCount 200
        @($vms | Where-Object Status -NE 'running' | ForEach-Object VmId | Sort-Object) | Should -Be $failing
        foreach ($id in 2000, 2099, 2199) {
            Get-NodeFile $node "/var/lib/vz/snippets/user-data-$id.yml" | Should -Match "load-$id"
        }
    }
}
