# New-PhoenixVm on the in-process simulator: clones, configures, repairs, never takes over another VM,
# -WhatIf, and cloning from a VM snapshot on LVM-thin and on ZFS.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

Describe 'New-PhoenixVm' {
    BeforeAll { $script:node = Start-SimulatorNode }
    AfterAll { Stop-SimulatorNode $node }

    It 'clones the base template and applies cores and memory' {
        $vm = New-PhoenixVm -VmId 101 -Name web-01 -Cores 3 -MemoryMb 1536
        $vm | Should -BeOfType ([Phoenix.PowerShell.PhoenixVm])
        $vm.Changes | Should -Contain 'cloned from VM 9000 (linked clone)'
        $vm.Changes | Should -Contain 'set cores 3'
        $vm.Changes | Should -Contain 'set memory 1536'
        $vm.Cores | Should -Be 3
        $vm.MemoryMb | Should -Be 1536
        $vm.Status | Should -Be 'stopped'
        $vm.Session.Id | Should -Be $node.Session.Id
    }

    It 'reports an existing VM of the same name as unchanged' {
        $vm = New-PhoenixVm -VmId 101 -Name web-01 -Cores 3 -MemoryMb 1536
        $vm.Changed | Should -BeFalse
        $vm.Changes | Should -HaveCount 0
    }

    It 'repairs what differs on a re-run' {
        $vm = New-PhoenixVm -VmId 101 -Name web-01 -Cores 2 -MemoryMb 1536
        $vm.Changes | Should -Be @('set cores 2')
    }

    It 'refuses to take over a VMID that another VM has, naming both' {
        $err = $null
        New-PhoenixVm -VmId 101 -Name other-vm -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'VmIdTaken,Phoenix.PowerShell.Commands.NewPhoenixVmCommand'
        $err[0].Exception.Message | Should -BeLike "*VM 101 already exists on the host as 'web-01'*'other-vm'*"
        $err[0].TargetObject | Should -Be 101
    }

    It 'shows the exact commands under -WhatIf and creates nothing' {
        $r = Invoke-ChildPwsh "Connect-PhoenixHost -Simulator -StatePath '$($node.Dir)' | Out-Null; New-PhoenixVm -VmId 102 -Name web-02 -Cores 4 -WhatIf"
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match ([regex]::Escape('What if: Performing the operation "Create or update" on target "VM 102 (web-02)".'))
        $r.Output | Should -Match ([regex]::Escape('What if:     qm clone 9000 102 --name web-02'))
        $r.Output | Should -Match ([regex]::Escape('What if:     qm set 102 --cores 4'))
        $err = $null
        Get-PhoenixVm -VmId 102 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotFound,Phoenix.PowerShell.Commands.GetPhoenixVmCommand'
    }

    It 'plans a clone of a VM planned earlier in the same pipeline from that VM under -WhatIf' {
        $vmSpec = Get-PhoenixType Phoenix.Engine.Config.VmSpec
        $specs = @(
            @{ VmId = 110; Name = 'base-110' } -as $vmSpec
            @{ VmId = 111; Name = 'child-111'; CloneFromVmId = 110 } -as $vmSpec
        )
        $w = Get-HostOutput { $specs | New-PhoenixVm -WhatIf }
        $w.Output | Should -BeNullOrEmpty
        $w.Text | Should -Match ([regex]::Escape('What if:     qm clone 9000 110 --name base-110'))
        $w.Text | Should -Match ([regex]::Escape('What if:     qm clone 110 111 --name child-111'))
        (Get-PhoenixVm).VmId | Should -Not -Contain 110
    }
}

Describe 'New-PhoenixVm from a VM snapshot depends on the storage' {
    BeforeAll { $script:node = Start-SimulatorNode -ZfsStorage local-zfs }
    AfterAll { Stop-SimulatorNode $node }

    It 'clones from a snapshot on LVM-thin' {
        $null = New-PhoenixVm -VmId 311 -Name thin-src
        $null = New-PhoenixSnapshot -VmId 311 -Name golden
        (New-PhoenixVm -VmId 312 -Name thin-clone -CloneFromVmId 311 -SnapshotName golden).Changes |
            Should -Contain "cloned from VM 311 snapshot 'golden' (full clone)"
    }

    It 'gives Proxmox''s error, explained, on ZFS' {
        $null = New-PhoenixVm -VmId 301 -Name zfs-src -StoragePool local-zfs -FullClone $true
        $null = New-PhoenixSnapshot -VmId 301 -Name golden
        $err = $null
        New-PhoenixVm -VmId 302 -Name zfs-clone -CloneFromVmId 301 -SnapshotName golden -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'FullCloneNotSupported,Phoenix.PowerShell.Commands.NewPhoenixVmCommand'
        $err[0].Exception.Message | Should -BeLike "*Full clone feature is not supported for a snapshot of 'local-zfs:vm-301-*"
        $err[0].Exception.Message | Should -BeLike '*Cloning from a snapshot is a storage feature*'
        (Get-PhoenixVm).VmId | Should -Not -Contain 302
    }
}
