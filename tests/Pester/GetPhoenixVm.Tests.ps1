# Get-PhoenixVm on the in-process simulator.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01'; 102 = 'web-02'; 103 = 'idle-03' })
    $null = Invoke-OnNode $node 'qm', 'snapshot', '101', 'golden'
}

AfterAll { Stop-SimulatorNode $node }

Describe 'Get-PhoenixVm' {
    It 'lists all VMs, by ID and by name with wildcards' {
        (Get-PhoenixVm).VmId | Should -Be @(101, 102, 103, 9000)
        (Get-PhoenixVm -VmId 9000).IsTemplate | Should -BeTrue
        (Get-PhoenixVm -Name 'WEB-*').VmId | Should -Be @(101, 102)
        (Get-PhoenixVm -Name 'idle-03', 'web-01').VmId | Should -Be @(101, 103)
    }

    It 'carries the VM''s settings, its snapshots and the session' {
        $vm = Get-PhoenixVm -VmId 101
        $vm | Should -BeOfType ([Phoenix.PowerShell.PhoenixVm])
        $vm.Name | Should -Be 'web-01'
        $vm.Status | Should -Be 'stopped'
        $vm.Cores | Should -Be 2
        $vm.Snapshots | Should -Be @('golden')
        $vm.Session.Id | Should -Be $node.Session.Id
        (Get-PhoenixVm -VmId 101 -NoSnapshots).Snapshots | Should -BeNullOrEmpty
    }

    It 'writes an error for each VMID that does not exist and lists the others' {
        $err = $null
        $vms = Get-PhoenixVm -VmId 101, 150 -ErrorVariable err -ErrorAction SilentlyContinue
        $vms.VmId | Should -Be @(101)
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotFound,Phoenix.PowerShell.Commands.GetPhoenixVmCommand'
        $err[0].Exception.Message | Should -Be "VM 150 does not exist on node $($node.Session.Node)."
        $err[0].TargetObject | Should -Be 150
    }

    It 'pipes into Start-PhoenixVm by property name' {
        $vm = Get-PhoenixVm -Name 'idle-*' | Start-PhoenixVm
        $vm.VmId | Should -Be 103
        $vm.Status | Should -Be 'running'
    }
}
