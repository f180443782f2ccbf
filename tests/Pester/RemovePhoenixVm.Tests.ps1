# Remove-PhoenixVm on the in-process simulator.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode
    $script:key = (Get-TestSecret).Ed25519Key
    $script:snippets = Join-Path $node.Dir 'node/var/lib/vz/snippets'
    foreach ($id in 105, 106, 107) {
        $null = New-PhoenixVm -VmId $id -Name "gone-$id"
        $null = Set-PhoenixCloudInit -VmId $id -HostName "gone-$id" -UserName ops -SshPublicKey $key
    }
}

AfterAll { Stop-SimulatorNode $node }

Describe 'Remove-PhoenixVm' {
    It 'shows the destroy and the snippet files it would delete under -WhatIf, and removes nothing' {
        $w = Get-HostOutput { Remove-PhoenixVm -VmId 107 -WhatIf }
        $lines = @($w.Text -split "`r?`n" | Where-Object { $_ -like 'What if:*' })
        $lines | Should -Be @(
            'What if: Performing the operation "Destroy" on target "VM 107".'
            'What if:     qm destroy 107 --purge 1'
            'What if:     delete /var/lib/vz/snippets/user-data-107.yml'
            'What if:     delete /var/lib/vz/snippets/network-config-107.yml'
            'What if:     delete /var/lib/vz/snippets/.phoenix-cloudinit-107')
        (Get-PhoenixVm).VmId | Should -Contain 107
        Test-Path (Join-Path $snippets 'user-data-107.yml') | Should -BeTrue
    }

    It 'deletes the VM''s cloud-init snippets with it, unless told to keep them' {
        Test-Path (Join-Path $snippets 'user-data-105.yml') | Should -BeTrue
        Remove-PhoenixVm -VmId 105 -Confirm:$false
        Test-Path (Join-Path $snippets 'user-data-105.yml') | Should -BeFalse
        Test-Path (Join-Path $snippets 'network-config-105.yml') | Should -BeFalse
        Test-Path (Join-Path $snippets '.phoenix-cloudinit-105') | Should -BeFalse
        Remove-PhoenixVm -VmId 106 -KeepSnippets -Confirm:$false
        Test-Path (Join-Path $snippets 'user-data-106.yml') | Should -BeTrue
        (Get-PhoenixVm).VmId | Should -Not -Contain 105
        (Get-PhoenixVm).VmId | Should -Not -Contain 106
    }

    It 'refuses a running VM unless -Force stops it' {
        $null = Start-PhoenixVm -VmId 107
        $err = $null
        Remove-PhoenixVm -VmId 107 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].Exception.Message | Should -BeLike '*VM 107 is running - destroy failed*'
        $err[0].TargetObject | Should -Be 107
        Remove-PhoenixVm -VmId 107 -Force -Confirm:$false
        (Get-PhoenixVm).VmId | Should -Not -Contain 107
    }
}
