# Stop-PhoenixVm on the in-process simulator.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01' }) -Running
}

AfterAll { Stop-SimulatorNode $node }

Describe 'Stop-PhoenixVm' {
    It 'shows the shutdown with its timeout and -Force under -WhatIf and stops nothing' {
        $w = Get-HostOutput { Stop-PhoenixVm -VmId 101 -TimeoutSec 30 -Force -WhatIf }
        $w.Text | Should -Match ([regex]::Escape('What if: Performing the operation "Stop" on target "VM 101".'))
        $w.Text | Should -Match ([regex]::Escape('What if:     qm shutdown 101 --timeout 30 --forceStop 1'))
        (Get-PhoenixVm -VmId 101).Status | Should -Be 'running'
    }

    It 'stops a VM gracefully and reports a stopped one as unchanged' {
        (Stop-PhoenixVm -VmId 101).Changes | Should -Be @('stopped')
        (Get-PhoenixVm -VmId 101).Status | Should -Be 'stopped'
        (Stop-PhoenixVm -VmId 101).Changed | Should -BeFalse
    }
}
