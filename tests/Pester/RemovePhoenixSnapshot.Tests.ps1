# Remove-PhoenixSnapshot on the in-process simulator.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01' })
    foreach ($name in 'golden', 'second', 'third') { $null = Invoke-OnNode $node 'qm', 'snapshot', '101', $name }
}

AfterAll { Stop-SimulatorNode $node }

Describe 'Remove-PhoenixSnapshot' {
    It 'shows qm delsnapshot under -WhatIf and deletes nothing' {
        $w = Get-HostOutput { Remove-PhoenixSnapshot -VmId 101 -Name third -Force -WhatIf }
        $w.Text | Should -Match ([regex]::Escape('What if: Performing the operation "Delete snapshot ''third''" on target "VM 101".'))
        $w.Text | Should -Match ([regex]::Escape('What if:     qm delsnapshot 101 third --force 1'))
        (Get-PhoenixSnapshot -VmId 101).Name | Should -Contain 'third'
    }

    It 'deletes with confirmation turned off, also a snapshot piped from Get-PhoenixSnapshot' {
        Remove-PhoenixSnapshot -VmId 101 -Name third -Confirm:$false
        Get-PhoenixSnapshot -VmId 101 -Name second | Remove-PhoenixSnapshot -Confirm:$false
        (Get-PhoenixSnapshot -VmId 101).Name | Should -Be @('golden')
    }

    It 'gives Proxmox''s error for a snapshot that does not exist' {
        $err = $null
        Remove-PhoenixSnapshot -VmId 101 -Name nosuch -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'SnapshotNotFound,Phoenix.PowerShell.Commands.RemovePhoenixSnapshotCommand'
        $err[0].Exception.Message | Should -BeLike "*snapshot 'nosuch' does not exist*"
    }
}
