# Wait-PhoenixGuestAgent on the in-process simulator.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01' }) -Running
    $null = Invoke-OnNode $node 'qm', 'clone', '9000', '103', '--name', 'idle-03'
}

AfterAll { Stop-SimulatorNode $node }

Describe 'Wait-PhoenixGuestAgent' {
    It 'waits for the guest agent and returns the guest addresses' {
        $vm = Get-PhoenixVm -VmId 101 | Wait-PhoenixGuestAgent -TimeoutSec 30
        $vm.VmId | Should -Be 101
        @($vm.IpAddresses).Count | Should -BeGreaterThan 0
        $vm.IpAddresses | Should -Not -Contain '127.0.0.1'
    }

    It 'says why the agent cannot answer on a stopped VM' {
        $err = $null
        Wait-PhoenixGuestAgent -VmId 103 -TimeoutSec 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'AgentTimeout,Phoenix.PowerShell.Commands.WaitPhoenixGuestAgentCommand'
        $err[0].Exception.Message | Should -BeLike '*VM 103 (idle-03) is stopped*Start-PhoenixVm -VmId 103*'
        $err[0].TargetObject | Should -Be 103
    }

    It 'refuses at once a VM whose agent is not configured' {
        $null = Invoke-OnNode $node 'qm', 'set', '103', '--agent', '0'
        $err = $null
        Wait-PhoenixGuestAgent -VmId 103 -TimeoutSec 60 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'AgentNotConfigured,Phoenix.PowerShell.Commands.WaitPhoenixGuestAgentCommand'
        $err[0].ErrorDetails.RecommendedAction | Should -Match ('^' + [regex]::Escape('Run `qm set 103 --agent 1`'))
    }
}
