# Start-PhoenixVm on the in-process simulator.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01'; 103 = 'idle-03' })
}

AfterAll { Stop-SimulatorNode $node }

Describe 'Start-PhoenixVm' {
    It 'shows qm start under -WhatIf for a stopped VM and starts nothing' {
        $w = Get-HostOutput { Start-PhoenixVm -VmId 101 -WhatIf }
        $w.Text | Should -Match ([regex]::Escape('What if: Performing the operation "Start" on target "VM 101".'))
        $w.Text | Should -Match ([regex]::Escape('What if:     qm start 101'))
        (Get-PhoenixVm -VmId 101).Status | Should -Be 'stopped'
    }

    It 'starts a stopped VM and reports a running one as unchanged' {
        (Start-PhoenixVm -VmId 101).Changes | Should -Be @('started')
        $again = Start-PhoenixVm -VmId 101
        $again.Status | Should -Be 'running'
        $again.Changed | Should -BeFalse
    }

    It 'plans nothing to change for a running VM under -WhatIf' {
        $w = Get-HostOutput { Start-PhoenixVm -VmId 101 -WhatIf }
        $w.Text | Should -Match ([regex]::Escape('What if:     nothing to change'))
    }

    It 'takes VMs piped from Get-PhoenixVm by property name' {
        $vm = Get-PhoenixVm -Name 'idle-*' | Start-PhoenixVm
        $vm.VmId | Should -Be 103
        $vm.Status | Should -Be 'running'
    }

    It 'names a VM that does not exist and goes on with the next' {
        $err = $null
        $r = 150, 101 | ForEach-Object { [pscustomobject]@{ VmId = $_ } } | Start-PhoenixVm -ErrorVariable err -ErrorAction SilentlyContinue
        $r.VmId | Should -Be @(101)
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotFound,Phoenix.PowerShell.Commands.StartPhoenixVmCommand'
        $err[0].TargetObject | Should -Be 150
    }
}
