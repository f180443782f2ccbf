# Get-PhoenixHost: the sessions of this PowerShell session.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Get-PhoenixHost | Disconnect-PhoenixHost
    $script:first = Connect-PhoenixHost -Simulator -Node alpha
    $script:second = Connect-PhoenixHost -Simulator -Node beta -NoDefault
}

AfterAll { Get-PhoenixHost | Disconnect-PhoenixHost }

Describe 'Get-PhoenixHost' {
    It 'lists every session, and -Default the one cmdlets use without -Session' {
        (Get-PhoenixHost).Id | Should -Be @($first.Id, $second.Id)
        (Get-PhoenixHost -Default).Id | Should -Be $first.Id
    }

    It 'finds sessions by host name or node, with wildcards' {
        (Get-PhoenixHost -HostName 'B*').Id | Should -Be @($second.Id)
        (Get-PhoenixHost -HostName simulator).Id | Should -Be @($first.Id, $second.Id)
        Get-PhoenixHost -HostName 'nothing-like-it' | Should -BeNullOrEmpty
    }

    It 'shows a session as a table with its node and whether it is connected' {
        $lines = ($first | Format-Table | Out-String -Width 200) -split "`r?`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match '^\s*Id\s+HostName\s+Port\s+UserName\s+Node\s+Connected\s+HostKeyFingerprint\s*$'
        $lines[2] | Should -Match "^\s*$($first.Id)\s+simulator\s+0\s+root\s+alpha\s+True\s*$"
    }
}
