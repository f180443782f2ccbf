# Disconnect-PhoenixHost: closing sessions, and what the other cmdlets say afterwards.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Get-PhoenixHost | Disconnect-PhoenixHost
}

AfterAll { Get-PhoenixHost | Disconnect-PhoenixHost }

Describe 'Disconnect-PhoenixHost' {
    It 'closes the default session when none is given, and the cmdlets then ask for a connection' {
        $s = Connect-PhoenixHost -Simulator
        Disconnect-PhoenixHost
        $s.IsConnected | Should -BeFalse
        Get-PhoenixHost | Should -BeNullOrEmpty
        { Get-PhoenixVm } | Should -Throw -ErrorId 'NoSession,Phoenix.PowerShell.Commands.GetPhoenixVmCommand' `
            -ExpectedMessage '*Connect-PhoenixHost -Simulator*'
    }

    It 'closes piped sessions, and a closed session given with -Session is named as closed' {
        $a = Connect-PhoenixHost -Simulator -Node alpha
        $b = Connect-PhoenixHost -Simulator -Node beta -NoDefault
        $a, $b | Disconnect-PhoenixHost
        Get-PhoenixHost | Should -BeNullOrEmpty
        { Get-PhoenixVm -Session $b } | Should -Throw -ErrorId 'SessionClosed,Phoenix.PowerShell.Commands.GetPhoenixVmCommand' `
            -ExpectedMessage '*was closed with Disconnect-PhoenixHost*'
    }

    It 'leaves the other sessions open' {
        $keep = Connect-PhoenixHost -Simulator -Node keep
        $drop = Connect-PhoenixHost -Simulator -Node drop -NoDefault
        Disconnect-PhoenixHost -Session $drop
        (Get-PhoenixHost).Id | Should -Be @($keep.Id)
        $keep.IsConnected | Should -BeTrue
        (Get-PhoenixVm -VmId 9000).Session.Id | Should -Be $keep.Id
    }
}
