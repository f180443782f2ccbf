# Get-PhoenixSnapshot on the in-process simulator.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01'; 102 = 'web-02' })
    $null = Invoke-OnNode $node 'qm', 'snapshot', '101', 'golden', '--description', 'first'
    $null = Invoke-OnNode $node 'qm', 'snapshot', '101', 'second'
}

AfterAll { Stop-SimulatorNode $node }

Describe 'Get-PhoenixSnapshot' {
    It 'lists snapshots with parent, time and description' {
        $list = Get-PhoenixSnapshot -VmId 101
        $list.Name | Should -Be @('golden', 'second')
        ($list | Where-Object Name -EQ 'second').Parent | Should -Be 'golden'
        ($list | Where-Object Name -EQ 'golden').Time | Should -BeOfType ([datetime])
        ($list | Where-Object Name -EQ 'golden').Description | Should -Be 'first'
        $list[0].VmId | Should -Be 101
        $list[0].Session.Id | Should -Be $node.Session.Id
    }

    It 'fits a 120-column table with Time and Description uncut and no Changed column' {
        $long = 'Phoenix: the golden image after docker, base_setup and the monitoring agent, taken before go-live'
        $null = Invoke-OnNode $node 'qm', 'snapshot', '102', 'golden-long', '--description', $long
        $snap = Get-PhoenixSnapshot -VmId 102
        $text = $snap | Format-Table | Out-String -Width 120
        $lines = @($text -split "`r?`n" | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^\s+VmId Name\s+Parent\s+Time\s+Description$'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
        $text | Should -Not -Match 'Changed'
        $text | Should -BeLike "*$($snap.Time.ToString('yyyy-MM-dd HH:mm:ss', [cultureinfo]::InvariantCulture))*"
        # A long description wraps onto the next lines instead of being cut.
        $wrapped = ($lines | Select-Object -Skip 2 | ForEach-Object { $_.Substring([Math]::Min($_.Length, 72)) }) -join ''
        ($wrapped -replace '\s', '') | Should -Be ($long -replace '\s', '')
        ($snap | Format-List | Out-String -Width 120) | Should -Match 'Changed\s+: False'
        $null = Invoke-OnNode $node 'qm', 'delsnapshot', '102', 'golden-long'
    }

    It 'matches names with wildcards and shows current only when asked' {
        (Get-PhoenixSnapshot -VmId 101 -Name 'GOLD*').Name | Should -Be @('golden')
        $all = Get-PhoenixSnapshot -VmId 101 -IncludeCurrent
        $all.Name | Should -Be @('golden', 'second', 'current')
        ($all | Where-Object Name -EQ 'current').IsCurrent | Should -BeTrue
    }

    It 'takes VMs piped from Get-PhoenixVm, and a VM without snapshots gives none' {
        (Get-PhoenixVm -VmId 101, 102 | Get-PhoenixSnapshot).Name | Should -Be @('golden', 'second')
    }

    It 'names a VM that does not exist' {
        $err = $null
        Get-PhoenixSnapshot -VmId 150 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotFound,Phoenix.PowerShell.Commands.GetPhoenixSnapshotCommand'
        $err[0].TargetObject | Should -Be 150
    }
}
