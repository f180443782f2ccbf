# Restore-PhoenixSnapshot on the in-process simulator.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01' })
    $null = Invoke-OnNode $node 'qm', 'snapshot', '101', 'golden'
    $null = Invoke-OnNode $node 'qm', 'snapshot', '101', 'second'
}

AfterAll { Stop-SimulatorNode $node }

Describe 'Restore-PhoenixSnapshot' {
    It 'shows qm rollback under -WhatIf and changes nothing' {
        $w = Get-HostOutput { Restore-PhoenixSnapshot -VmId 101 -Name golden -WhatIf }
        $w.Text | Should -Match ([regex]::Escape(('What if: Performing the operation "Roll back to snapshot ''golden'' (the current state is ' +
            'lost)" on target "VM 101".')))
        $w.Text | Should -Match ([regex]::Escape('What if:     qm rollback 101 golden'))
        (Get-PhoenixVm -VmId 101).Parent | Should -Be 'second'
    }

    It 'rolls back with confirmation turned off and reports the VM' {
        $vm = Restore-PhoenixSnapshot -VmId 101 -Name golden -Confirm:$false
        $vm.Parent | Should -Be 'golden'
        $vm.Changes | Should -Be @('rolled back to golden')
    }

    It 'takes a snapshot piped from Get-PhoenixSnapshot and starts the VM with -Start' {
        $vm = Get-PhoenixSnapshot -VmId 101 -Name second | Restore-PhoenixSnapshot -Start -Confirm:$false
        $vm.Parent | Should -Be 'second'
        $vm.Status | Should -Be 'running'
    }

    It 'refuses a bad name before anything runs, and gives Proxmox''s error for one that does not exist' {
        { Restore-PhoenixSnapshot -VmId 101 -Name current -Confirm:$false } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,Phoenix.PowerShell.Commands.RestorePhoenixSnapshotCommand'
        $err = $null
        Restore-PhoenixSnapshot -VmId 101 -Name nosuch -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'SnapshotNotFound,Phoenix.PowerShell.Commands.RestorePhoenixSnapshotCommand'
    }
}
