# The fake Proxmox cluster: `build.ps1 -Task FakeHost -Nodes 3`, one sshd per node over one state,
# nodes going down and coming back through the fault plan, and every sshd stopped by its PID.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    $script:fake = Start-FakeHost -Nodes 3
    $script:nodes = @{}
    foreach ($n in $fake.nodes) { $script:nodes[$n.node] = $n }

    function script:Invoke-On([string] $Node, [string[]] $Command) {
        $c = New-FakeHostConnection $nodes[$Node]
        try { Invoke-Remote $c $Command } finally { $c.Dispose() }
    }

    # The PID in a node's sshd.pid, or $null when its sshd is stopped.
    function script:Get-SshdPid([string] $Node) {
        $file = Join-Path $nodes[$Node].sshDir 'sshd.pid'
        if (Test-Path $file) { [int](Get-Content $file -TotalCount 1) }
    }

    # A process that is gone or a zombie (a detached sshd whose parent no longer waits for it) is not running.
    function script:Test-ProcessRunning([int] $ProcessId) {
        $stat = "/proc/$ProcessId/stat"
        if (-not (Test-Path $stat)) { return $false }
        return ((Get-Content -Raw $stat) -replace '^.*\) (.).*$', '$1').Trim() -ne 'Z'
    }

    # Waits (generously) until the port is in the wanted state; the supervisor polls the fault plan.
    function script:Wait-Port([int] $Port, [bool] $Open) {
        for ($i = 0; $i -lt 300; $i++) {
            if ((Test-PortOpen $Port) -eq $Open) { return $true }
            Start-Sleep -Milliseconds 100
        }
        return $false
    }
}

AfterAll {
    if ($fake -and (Test-Path $fake.root)) { Stop-FakeHost $fake }
}

Describe 'A three-node fake cluster' {
    It 'prints every node with its own port and host key, and one client key for all' {
        @($fake.nodes.node) | Should -Be @('pve1', 'pve2', 'pve3')
        @($fake.nodes.port | Sort-Object -Unique).Count | Should -Be 3
        @($fake.nodes.hostKeyFingerprint | Sort-Object -Unique).Count | Should -Be 3
        @($fake.nodes.keyFile | Sort-Object -Unique) | Should -Be @($fake.keyFile)
        $fake.port | Should -Be $nodes['pve1'].port
        $fake.hostKeyFingerprint | Should -Be $nodes['pve1'].hostKeyFingerprint
        foreach ($n in $fake.nodes) { Get-SshdPid $n.node | Should -Not -BeNullOrEmpty }
    }

    It 'answers on each node as that node, over one cluster state' {
        (Invoke-On 'pve2' 'hostname').StdOut | Should -BeExactly "pve2`n"
        $r = Invoke-On 'pve2' 'qm', 'config', '9000'
        $r.ExitCode | Should -Be 255
        $r.StdErr | Should -BeExactly "Configuration file 'nodes/pve2/qemu-server/9000.conf' does not exist`n"
        $status = (Invoke-On 'pve2' 'pvesh', 'get', '/cluster/status', '--output-format', 'json').StdOut | ConvertFrom-Json
        $status[0].quorate | Should -Be 1
        ($status | Where-Object local -EQ 1).name | Should -Be 'pve2'

        (Invoke-On 'pve1' 'qm', 'clone', '9000', '101', '--name', 'web01').ExitCode | Should -Be 0
        $taken = Invoke-On 'pve3' 'qm', 'create', '101', '--memory', '512'
        $taken.StdErr | Should -BeExactly "unable to create VM 101 - VM 101 already exists on node 'pve1'`n"
        $moved = Invoke-On 'pve1' 'qm', 'migrate', '101', 'pve2'
        $moved.ExitCode | Should -Be 0
        $moved.StdOut | Should -Match "(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d migration finished successfully \(duration 00:00:\d\d\)$"
        (Invoke-On 'pve2' 'qm', 'config', '101').StdOut | Should -Match '(?m)^name: web01$'
        # Every node's commands are in commands.log; each node's also in its own log.
        Get-Content (Join-Path $fake.stateDir 'commands.pve3.log') | Should -Be @('qm create 101 --memory 512')
        Get-Audit $fake | Should -Contain 'qm migrate 101 pve2'
    }

    It 'stops a down node''s sshd, reports it offline elsewhere, and brings it back with its host key' {
        $port = $nodes['pve3'].port
        $before = Get-SshdPid 'pve3'
        $faults = Join-Path $fake.stateDir 'faults.json'
        Set-Content $faults '{ "nodesDown": [ "pve3" ] }'
        try {
            Wait-Port $port $false | Should -BeTrue
            Test-ProcessRunning $before | Should -BeFalse
            $status = (Invoke-On 'pve1' 'pvesh', 'get', '/cluster/status', '--output-format', 'json').StdOut | ConvertFrom-Json
            ($status | Where-Object name -EQ 'pve3').online | Should -Be 0
            $status[0].quorate | Should -Be 1
        } finally { Remove-Item $faults }
        Wait-Port $port $true | Should -BeTrue
        # New-FakeHostConnection pins the node's fingerprint: the same host key is back.
        (Invoke-On 'pve3' 'hostname').StdOut | Should -BeExactly "pve3`n"
        Get-SshdPid 'pve3' | Should -Not -Be $before
    }

    It 'stops every node''s sshd by its PID when the supervisor is stopped' {
        $pids = foreach ($n in $fake.nodes) { Get-SshdPid $n.node }
        @($pids).Count | Should -Be 3
        Stop-FakeHost $fake
        foreach ($p in $pids) { Test-ProcessRunning $p | Should -BeFalse }
        foreach ($n in $fake.nodes) { Test-PortOpen $n.port | Should -BeFalse }
        Test-Path $fake.root | Should -BeFalse
    }
}
