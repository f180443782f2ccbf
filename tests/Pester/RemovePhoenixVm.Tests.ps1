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
            'What if: Performing the operation "Destroy" on target "VM 107 (gone-107)".'
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

    It 'checks identity when piped a config entry: another VM on that VMID is refused, a template only goes with -Force' {
        $null = New-PhoenixVm -VmId 108 -Name other-108
        $path = Join-Path $TestDrive 'identity.json'
        Set-Content -LiteralPath $path -Value @'
{ "vms": [
  { "vmid": 108, "name": "wanted-108", "clone_from_vmid": 9000, "network_config": { "ip": "dhcp" },
    "user_config": { "username": "ops", "ssh_public_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGTu4sFs9wPOADX2g1CCwUmJPX5LNRd9e/q419dxfzL a@b"] } },
  { "vmid": 9000, "name": "ubuntu-2404-cloud-template", "is_template": true, "template_image": "noble.img", "network_config": { "ip": "dhcp" },
    "user_config": { "username": "ops", "ssh_public_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGTu4sFs9wPOADX2g1CCwUmJPX5LNRd9e/q419dxfzL a@b"] } }
] }
'@
        $template = (Get-PhoenixVm -VmId 9000).Name
        $err = $null
        Import-PhoenixConfig $path | Remove-PhoenixVm -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 2
        $e108 = $err | Where-Object TargetObject -EQ 108
        $e108.FullyQualifiedErrorId | Should -Be 'VmNameMismatch,Phoenix.PowerShell.Commands.RemovePhoenixVmCommand'
        $e108.Exception.Message | Should -BeLike "VM 108 (other-108) on the host is not 'wanted-108'*not removed*"
        ($err | Where-Object TargetObject -EQ 9000).FullyQualifiedErrorId | Should -BeIn @(
            'TemplateNeedsForce,Phoenix.PowerShell.Commands.RemovePhoenixVmCommand', 'VmNameMismatch,Phoenix.PowerShell.Commands.RemovePhoenixVmCommand')
        (Get-PhoenixVm).VmId | Should -Contain 108
        (Get-PhoenixVm).VmId | Should -Contain 9000
        # The template by its own name still needs -Force; the question names it.
        $err = $null
        Remove-PhoenixVm -VmId 9000 -Name $template -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'TemplateNeedsForce,Phoenix.PowerShell.Commands.RemovePhoenixVmCommand'
        $w = Get-HostOutput { Remove-PhoenixVm -VmId 9000 -Name $template -Force -WhatIf }
        $w.Text | Should -Match ([regex]::Escape("What if: Performing the operation `"Destroy template`" on target `"VM 9000 ($template)`"."))
        (Get-PhoenixVm).VmId | Should -Contain 9000
        # Piped from Get-PhoenixVm, the name is the host's own: it matches.
        Get-PhoenixVm -VmId 108 | Remove-PhoenixVm -Confirm:$false
        (Get-PhoenixVm).VmId | Should -Not -Contain 108
    }
}
