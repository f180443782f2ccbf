# New-PhoenixSnapshot on the in-process simulator, kept in a folder so that faults can be injected.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01'; 102 = 'web-02' })
}

AfterAll { Stop-SimulatorNode $node }

Describe 'New-PhoenixSnapshot' {
    It 'takes a snapshot once and reports it unchanged after' {
        $s = New-PhoenixSnapshot -VmId 101 -Name golden -Description 'first'
        $s | Should -BeOfType ([Phoenix.PowerShell.PhoenixSnapshot])
        $s.Changed | Should -BeTrue
        $s.Name | Should -Be 'golden'
        $s.Description | Should -Be 'first'
        (New-PhoenixSnapshot -VmId 101 -Name golden).Changed | Should -BeFalse
        (Get-PhoenixSnapshot -VmId 101).Name | Should -Be @('golden')
    }

    It 'checks the name against Proxmox''s rule before anything runs' {
        foreach ($bad in 'current', 'PENDING', 'x', '1abc', ('a' * 41), "golden`n", "gold`0en") {
            $e = { New-PhoenixSnapshot -VmId 101 -Name $bad } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,Phoenix.PowerShell.Commands.NewPhoenixSnapshotCommand' -PassThru -Because $bad
            $e.Exception.Message | Should -BeLike "*parameter 'Name'*snapshot name*" -Because $bad
        }
        (Get-PhoenixSnapshot -VmId 101).Name | Should -Be @('golden')
        # A trailing newline is not let through as Perl's $ would: the VM is not left locked, and the message shows it escaped.
        $e = { New-PhoenixSnapshot -VmId 101 -Name "golden`n" } | Should -Throw -PassThru
        $e.Exception.Message | Should -BeLike "*'golden\n'*"
        Invoke-OnNode $node 'qm', 'config', '101' | Should -Not -Match '(?m)^lock:'
    }

    It 'snapshots a VM once however many of its objects come down the pipeline' {
        $snaps = 102, 102, 102 | ForEach-Object { [pscustomobject]@{ VmId = $_ } } | New-PhoenixSnapshot -Name once
        $snaps | Should -HaveCount 1
        (Get-PhoenixSnapshot -VmId 102).Name | Should -Be @('once')
    }

    It 'shows qm snapshot under -WhatIf and takes nothing' {
        $w = Get-HostOutput { New-PhoenixSnapshot -VmId 101 -Name planned -Description 'not yet' -WhatIf }
        $w.Text | Should -Match ([regex]::Escape('What if: Performing the operation "Take snapshot ''planned''" on target "VM 101".'))
        $w.Text | Should -Match ([regex]::Escape("What if:     qm snapshot 101 planned --description 'not yet'"))
        (Get-PhoenixSnapshot -VmId 101).Name | Should -Not -Contain 'planned'
    }

    It 'waits out a held lock and an flock timeout, then succeeds' {
        $faults = @{
            lockHolds = @(@{ vmid = 101; lock = 'clone'; seconds = 2 })
            failures  = @(@{ kind = 'snapshot'; vmid = 101; count = 2; exitCode = 255
                             stderr = "trying to acquire lock...`ncan't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout`n" })
        } | ConvertTo-Json -Depth 5
        Set-Content -Path (Join-Path $node.Dir 'faults.json') -Value $faults
        try {
            $out = New-PhoenixSnapshot -VmId 101 -Name after-lock -Verbose 4>&1
            $snap = $out | Where-Object { $_ -is [Phoenix.PowerShell.PhoenixSnapshot] }
            $snap.Changed | Should -BeTrue
            ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -Match 'waiting'
        } finally {
            Remove-Item (Join-Path $node.Dir 'faults.json')
        }
    }
}
