# New/Get/Start/Stop/Remove-PhoenixVm, Wait-PhoenixGuestAgent and the snapshot cmdlets on the
# in-process simulator, kept in a folder so that faults can be injected through faults.json.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:state = Join-Path ([System.IO.Path]::GetTempPath()) ("phoenix-life-" + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $script:session = Connect-PhoenixHost -Simulator -StatePath $state
}

AfterAll {
    $session | Disconnect-PhoenixHost
    Remove-Item -Recurse -Force $state -ErrorAction Ignore
}

Describe 'New-PhoenixVm' {
    It 'clones the base template and applies cores and memory' {
        $vm = New-PhoenixVm -VmId 101 -Name web-01 -Cores 3 -MemoryMb 1536
        $vm | Should -BeOfType ([Phoenix.PowerShell.PhoenixVm])
        $vm.Changes | Should -Contain 'cloned from VM 9000 (linked clone)'
        $vm.Changes | Should -Contain 'set cores 3'
        $vm.Changes | Should -Contain 'set memory 1536'
        $vm.Cores | Should -Be 3
        $vm.MemoryMb | Should -Be 1536
        $vm.Status | Should -Be 'stopped'
        $vm.Session.Id | Should -Be $session.Id
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
        $r = Invoke-ChildPwsh "Connect-PhoenixHost -Simulator -StatePath '$state' | Out-Null; New-PhoenixVm -VmId 102 -Name web-02 -Cores 4 -WhatIf"
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match ([regex]::Escape('What if: Performing the operation "Create or update" on target "VM 102 (web-02)".'))
        $r.Output | Should -Match ([regex]::Escape('qm clone 9000 102 --name web-02'))
        $r.Output | Should -Match ([regex]::Escape('qm set 102 --cores 4'))
        $err = $null
        Get-PhoenixVm -VmId 102 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotFound,Phoenix.PowerShell.Commands.GetPhoenixVmCommand'
    }
}

Describe 'New-PhoenixTemplate' {
    It 'never turns another VM into a template' {
        $err = $null
        New-PhoenixTemplate -VmId 101 -Name base-tpl -Image some.img -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmIdTaken,Phoenix.PowerShell.Commands.NewPhoenixTemplateCommand'
        $err[0].Exception.Message | Should -BeLike "*VM 101 already exists on the host as 'web-01'*"
        (Get-PhoenixVm -VmId 101).IsTemplate | Should -BeFalse
    }
}

Describe 'Start, wait, stop' {
    It 'starts a stopped VM and reports a running one as unchanged' {
        (Start-PhoenixVm -VmId 101).Changes | Should -Be @('started')
        $again = Start-PhoenixVm -VmId 101
        $again.Status | Should -Be 'running'
        $again.Changed | Should -BeFalse
    }

    It 'waits for the guest agent and returns the guest addresses' {
        $vm = Get-PhoenixVm -VmId 101 | Wait-PhoenixGuestAgent -TimeoutSec 30
        $vm.VmId | Should -Be 101
        @($vm.IpAddresses).Count | Should -BeGreaterThan 0
    }

    It 'says why the agent cannot answer on a stopped VM' {
        $null = New-PhoenixVm -VmId 103 -Name idle-03
        $err = $null
        Wait-PhoenixGuestAgent -VmId 103 -TimeoutSec 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'AgentTimeout,Phoenix.PowerShell.Commands.WaitPhoenixGuestAgentCommand'
        $err[0].Exception.Message | Should -BeLike '*VM 103 (idle-03) is stopped*Start-PhoenixVm -VmId 103*'
    }

    It 'stops a VM gracefully and reports a stopped one as unchanged' {
        (Stop-PhoenixVm -VmId 101).Changes | Should -Be @('stopped')
        (Stop-PhoenixVm -VmId 101).Changed | Should -BeFalse
    }
}

Describe 'Get-PhoenixVm' {
    It 'lists all VMs, by ID and by name with wildcards' {
        (Get-PhoenixVm).VmId | Should -Contain 9000
        (Get-PhoenixVm -VmId 9000).IsTemplate | Should -BeTrue
        (Get-PhoenixVm -Name 'WEB-*').VmId | Should -Be @(101)
    }

    It 'pipes into Start-PhoenixVm by property name' {
        $vm = Get-PhoenixVm -Name 'idle-*' | Start-PhoenixVm
        $vm.VmId | Should -Be 103
        $vm.Status | Should -Be 'running'
    }
}

Describe 'Snapshots' {
    It 'takes a snapshot once and reports it unchanged after' {
        $s = New-PhoenixSnapshot -VmId 101 -Name golden -Description 'first'
        $s.Changed | Should -BeTrue
        $s.Name | Should -Be 'golden'
        (New-PhoenixSnapshot -VmId 101 -Name golden).Changed | Should -BeFalse
    }

    It 'lists snapshots with parent and time' {
        $null = New-PhoenixSnapshot -VmId 101 -Name second
        $list = Get-PhoenixSnapshot -VmId 101
        $list.Name | Should -Be @('golden', 'second')
        ($list | Where-Object Name -EQ 'second').Parent | Should -Be 'golden'
        ($list | Where-Object Name -EQ 'golden').Time | Should -BeOfType ([datetime])
        ($list | Where-Object Name -EQ 'golden').Description | Should -Be 'first'
    }

    It 'checks the name against Proxmox''s rule before anything runs' {
        foreach ($bad in 'current', 'PENDING', 'x', '1abc', ('a' * 41)) {
            $err = $null
            New-PhoenixSnapshot -VmId 101 -Name $bad -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be 'InvalidSnapshotName,Phoenix.PowerShell.Commands.NewPhoenixSnapshotCommand' -Because $bad
        }
        (Get-PhoenixSnapshot -VmId 101).Name | Should -Be @('golden', 'second')
    }

    It 'rolls back and deletes with confirmation turned off' {
        $vm = Restore-PhoenixSnapshot -VmId 101 -Name golden -Confirm:$false
        $vm.Parent | Should -Be 'golden'
        Remove-PhoenixSnapshot -VmId 101 -Name second -Confirm:$false
        (Get-PhoenixSnapshot -VmId 101).Name | Should -Be @('golden')
    }

    It 'gives Proxmox''s error for a snapshot that does not exist' {
        $err = $null
        Remove-PhoenixSnapshot -VmId 101 -Name nosuch -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'SnapshotNotFound,Phoenix.PowerShell.Commands.RemovePhoenixSnapshotCommand'
        $err[0].Exception.Message | Should -BeLike "*snapshot 'nosuch' does not exist*"
    }
}

Describe 'Remove-PhoenixVm' {
    It 'deletes the VM''s cloud-init snippets with it, unless told to keep them' {
        $keyFile = Join-Path $state 'k'
        $null = & ssh-keygen -q -t ed25519 -N '' -f $keyFile
        $key = Get-Content "$keyFile.pub"
        $snippets = Join-Path $state 'node/var/lib/vz/snippets'
        foreach ($id in 105, 106) {
            $null = New-PhoenixVm -VmId $id -Name "gone-$id"
            $null = Set-PhoenixCloudInit -VmId $id -HostName "gone-$id" -UserName ops -SshPublicKey $key
            Test-Path (Join-Path $snippets "user-data-$id.yml") | Should -BeTrue
        }
        Remove-PhoenixVm -VmId 105 -Confirm:$false
        Test-Path (Join-Path $snippets 'user-data-105.yml') | Should -BeFalse
        Test-Path (Join-Path $snippets 'network-config-105.yml') | Should -BeFalse
        Test-Path (Join-Path $snippets '.phoenix-cloudinit-105') | Should -BeFalse
        Remove-PhoenixVm -VmId 106 -KeepSnippets -Confirm:$false
        Test-Path (Join-Path $snippets 'user-data-106.yml') | Should -BeTrue
        (Get-PhoenixVm).VmId | Should -Not -Contain 105
    }

    It 'refuses a running VM unless -Force stops it' {
        $err = $null
        Remove-PhoenixVm -VmId 103 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].Exception.Message | Should -BeLike '*VM 103 is running - destroy failed*'
        Remove-PhoenixVm -VmId 103 -Force -Confirm:$false
        (Get-PhoenixVm).VmId | Should -Not -Contain 103
    }
}

Describe 'Lock waits' {
    It 'waits out a held lock and an flock timeout, then succeeds' {
        $faults = @{
            lockHolds = @(@{ vmid = 101; lock = 'clone'; seconds = 2 })
            failures  = @(@{ kind = 'snapshot'; vmid = 101; count = 2; exitCode = 255; stderr = "trying to acquire lock...`ncan't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout`n" })
        } | ConvertTo-Json -Depth 5
        Set-Content -Path (Join-Path $state 'faults.json') -Value $faults
        try {
            $out = New-PhoenixSnapshot -VmId 101 -Name after-lock -Verbose 4>&1
            $snap = $out | Where-Object { $_ -is [Phoenix.PowerShell.PhoenixSnapshot] }
            $snap.Changed | Should -BeTrue
            ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -Match 'waiting'
        } finally {
            Remove-Item (Join-Path $state 'faults.json')
        }
    }
}
