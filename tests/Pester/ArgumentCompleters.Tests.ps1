# Tab completion of Phoenix parameters, driven through TabExpansion2 as the prompt drives it, on the simulator.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:savedPath = $env:PHOENIX_FEATURE_PATH
    $env:PHOENIX_FEATURE_PATH = $null
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 201 = 'docker-01'; 202 = 'web-02'; 310 = 'web-10' }) -Running
    $null = Invoke-OnNode $node 'qm', 'snapshot', '201', 'golden', '--description', 'Phoenix: after features'
    $null = Invoke-OnNode $node 'qm', 'snapshot', '201', 'pre-features'

    function Complete([string] $line) {
        <# What Tab offers at the end of $line: each completion's text, list text and tooltip. #>
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
    }
}

AfterAll {
    Stop-SimulatorNode $node
    $env:PHOENIX_FEATURE_PATH = $savedPath
}

Describe 'Argument completion' {
    It 'completes VMIDs of the default session''s node, with the VM''s name in the tooltip' {
        $m = Complete 'Get-PhoenixVm -VmId '
        $m.CompletionText | Should -Be @('201', '202', '310', '9000')
        ($m | Where-Object CompletionText -EQ '201').ToolTip | Should -Be 'docker-01 (running)'
        ($m | Where-Object CompletionText -EQ '201').ListItemText | Should -Be '201 docker-01'
        (Complete 'Start-PhoenixVm -VmId 2').CompletionText | Should -Be @('201', '202')
        (Complete 'Start-PhoenixVm 3').CompletionText | Should -Be @('310')
    }

    It 'completes a VMID from the start of a VM name' {
        (Complete 'Stop-PhoenixVm -VmId web').CompletionText | Should -Be @('202', '310')
    }

    It 'completes VM names, with the VMID in the tooltip' {
        $m = Complete 'Get-PhoenixVm -Name w'
        $m.CompletionText | Should -Be @('web-02', 'web-10')
        $m[0].ToolTip | Should -Be 'VM 202 (running)'
    }

    It 'completes the snapshots of the VM on the command line, and nothing without one' {
        $m = Complete 'Restore-PhoenixSnapshot -VmId 201 -Name '
        $m.CompletionText | Should -Be @('golden', 'pre-features')
        $m[0].ToolTip | Should -Match '^VM 201, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: Phoenix: after features$'
        (Complete 'Get-PhoenixSnapshot 201 p').CompletionText | Should -Be @('pre-features')
        (Complete 'New-PhoenixVm -VmId 400 -Name x -CloneFromVmId 201 -SnapshotName g').CompletionText | Should -Be @('golden')
        Complete 'Remove-PhoenixSnapshot -Name ' | Should -BeNullOrEmpty
        Complete 'Remove-PhoenixSnapshot -VmId 202 -Name ' | Should -BeNullOrEmpty
    }

    It 'completes feature names from the feature folders, -FeaturePath on the command line included' {
        $m = Complete 'Invoke-PhoenixFeature -VmId 201 -Name '
        $m.CompletionText | Should -Be @('base_setup', 'docker')
        ($m | Where-Object CompletionText -EQ 'docker').ToolTip | Should -BeLike 'Installs Docker Engine*'
        $mine = Join-Path $TestDrive 'mine'
        $null = New-Item -ItemType Directory $mine
        Set-Content -Path (Join-Path $mine 'feature_install_hello.sh') -Value "#!/bin/sh`n# Description: Says hello.`necho hello"
        (Complete "Get-PhoenixFeature -FeaturePath '$mine' -Name h").CompletionText | Should -Be @('hello')
        Push-Location $TestDrive
        try { (Complete 'Get-PhoenixFeature -FeaturePath mine -Name h').CompletionText | Should -Be @('hello') }
        finally { Pop-Location }
        (Complete "Get-PhoenixFeature -FeaturePath '$TestDrive/nope' -Name d").CompletionText | Should -Be @('docker')
    }

    It 'completes storages that can hold what the parameter stores, and node names' {
        (Complete 'Deploy-PhoenixVm -SnippetStorage ').CompletionText | Should -Be @('local')
        $m = Complete 'New-PhoenixTemplate -Storage '
        $m.CompletionText | Should -Contain 'local-lvm'
        ($m | Where-Object CompletionText -EQ 'local-lvm').ToolTip | Should -Match '^lvmthin, active, [\d.]+ GiB free$'
        (Complete 'Connect-PhoenixHost -Simulator -Node ').CompletionText | Should -Be @($node.Session.Node)
    }

    It 'asks the session given with -Session on the command line, and a closed one nothing' {
        $other = Start-SimulatorNode -Vm ([ordered]@{ 777 = 'other-77' }) -NoDefault
        try {
            # The completer sees -Session's value as the prompt would: a variable of the global scope.
            $global:PhoenixCompletionSession = $other.Session
            (Complete 'Get-PhoenixVm -Session $PhoenixCompletionSession -VmId ').CompletionText | Should -Be @('777', '9000')
            (Complete 'Get-PhoenixVm -VmId 7').CompletionText | Should -BeNullOrEmpty
            Disconnect-PhoenixHost -Session $other.Session
            (Complete 'Get-PhoenixVm -Session $PhoenixCompletionSession -VmId ').CompletionText | Should -BeNullOrEmpty
        }
        finally {
            $other.Session = $null
            Stop-SimulatorNode $other
            Remove-Variable -Scope Global PhoenixCompletionSession -ErrorAction Ignore
        }
    }

    It 'completes nothing when the host does not answer within about a second, and uses the late answer next time' {
        $slow = Start-SimulatorNode -Vm ([ordered]@{ 501 = 'slow-01' }) -NoDefault
        try {
            Set-Content -Path (Join-Path $slow.Dir 'faults.json') -Value '{ "latency": { "*": 4 } }'
            $global:PhoenixCompletionSession = $slow.Session
            (Complete 'Get-PhoenixVm -Session $PhoenixCompletionSession -VmId ').CompletionText | Should -BeNullOrEmpty
            # The question stays asked: once the host has answered, the next Tab is served from that answer.
            Remove-Item (Join-Path $slow.Dir 'faults.json')
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            do { $m = Complete 'Get-PhoenixVm -Session $PhoenixCompletionSession -VmId 5' } until ($m -or [DateTime]::UtcNow -gt $deadline)
            $m.CompletionText | Should -Be @('501')
        }
        finally {
            Stop-SimulatorNode $slow
            Remove-Variable -Scope Global PhoenixCompletionSession -ErrorAction Ignore
        }
    }
}
