# The fake Proxmox host behind real SSH: started as `build.ps1 -Task FakeHost` starts it, driven
# through Phoenix's own transport, with outputs checked to the character.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:run = Start-FakeHostSession
    $script:fake = $run.Fake; $script:session = $run.Session; $script:ssh = $run.Ssh
}

AfterAll {
    Stop-FakeHostSession $run
}

Describe 'The fake host over SSH' {
    It 'is a session on node pve with the verified host key' {
        $session.Node | Should -Be 'pve'
        $session.HostKeyFingerprint | Should -Be $fake.hostKeyFingerprint
        (Get-PhoenixVm).VmId | Should -Be @(9000)
    }

    It 'clones with Proxmox''s output' {
        $r = Invoke-Remote $ssh 'qm', 'clone', '9000', '101', '--name', 'web-01'
        $r.ExitCode | Should -Be 0
        $r.StdOut | Should -BeExactly (@(
                'creating a clone of VM 9000 with ID 101'
                'create full clone of drive ide2 (local-lvm:vm-9000-cloudinit)'
                '  Logical volume "vm-101-cloudinit" created.'
                "allocated target volume 'local-lvm:vm-101-cloudinit'"
                'create linked clone of drive scsi0 (local-lvm:base-9000-disk-0)'
                '  Logical volume "vm-101-disk-0" created.'
                '') -join "`n")
    }

    It 'snapshots and lists the snapshot tree as qm listsnapshot prints it' {
        $r = Invoke-Remote $ssh 'qm', 'snapshot', '101', 'first', '--description', 'one'
        $r.ExitCode | Should -Be 0
        $r.StdOut | Should -Match ([regex]::Escape("snapshotting 'drive-scsi0' (local-lvm:vm-101-disk-0)"))
        $l = Invoke-Remote $ssh 'qm', 'listsnapshot', '101'
        $lines = $l.StdOut -split "`n"
        $lines[0] | Should -Match '^`-> first                       \d{4}-\d\d-\d\d \d\d:\d\d:\d\d     one$'
        $lines[1] | Should -BeExactly ' `-> current                                            You are here!'
    }

    It 'runs a guest command and answers in qm''s JSON' {
        $null = Start-PhoenixVm -VmId 101 | Wait-PhoenixGuestAgent -TimeoutSec 30
        $r = Invoke-Remote $ssh 'qm', 'guest', 'exec', '101', '--', 'echo', 'hello'
        $r.ExitCode | Should -Be 0
        $r.StdOut | Should -BeExactly "{`n   `"exitcode`" : 0,`n   `"exited`" : 1,`n   `"out-data`" : `"hello\n`"`n}`n"
    }

    It 'refuses a snapshot name with Proxmox''s parameter error' {
        $r = Invoke-Remote $ssh 'qm', 'snapshot', '101', 'x'
        $r.ExitCode | Should -Be 255
        $r.StdErr | Should -BeLike "400 Parameter verification failed.`nsnapname: invalid format - invalid configuration ID 'x'`n*"
    }
}

Describe 'A dropped connection' {
    It 'fails the command that was cut off, and the session reconnects for the next' {
        $faults = Join-Path $fake.stateDir 'faults.json'
        Set-Content $faults '{ "drops": [ { "kind": "list", "count": 1, "phase": "before" } ] }'
        try {
            $err = $null
            Get-PhoenixVm -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be 'ConnectionLost,Phoenix.PowerShell.Commands.GetPhoenixVmCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        } finally { Remove-Item $faults }
        (Get-PhoenixVm).VmId | Should -Contain 9000
        $session.IsConnected | Should -BeTrue
    }
}

Describe 'Two clones racing for one VMID' {
    It 'lets one win, gives the other Proxmox''s error and leaves a clean config' {
        $a = New-FakeHostConnection $fake
        $b = New-FakeHostConnection $fake
        try {
            $remoteCommand = Get-PhoenixType Phoenix.Engine.Transport.RemoteCommand
            $ta = $a.RunAsync($remoteCommand::new('qm', [string[]]@('clone', '9000', '150', '--name', 'race-a')),
                [TimeSpan]::FromSeconds(60))
            $tb = $b.RunAsync($remoteCommand::new('qm', [string[]]@('clone', '9000', '150', '--name', 'race-b')),
                [TimeSpan]::FromSeconds(60))
            $results = @($ta.GetAwaiter().GetResult(), $tb.GetAwaiter().GetResult())
        } finally { $a.Dispose(); $b.Dispose() }
        @($results | Where-Object ExitCode -EQ 0).Count | Should -Be 1
        $loser = $results | Where-Object ExitCode -NE 0
        $loser.ExitCode | Should -Be 255
        $loser.StdErr | Should -Match "unable to create VM 150: config file already exists|can't lock file '/var/lock/qemu-server/lock-150.conf' - got timeout"
        $winner = $results | Where-Object ExitCode -EQ 0
        $name = if ($winner.StdOut) { (Get-PhoenixVm -VmId 150).Name } else { $null }
        $name | Should -BeIn @('race-a', 'race-b')
        $config = (Invoke-Remote $ssh 'qm', 'config', '150').StdOut
        $config | Should -Not -Match 'lock:'
        $config | Should -Match "(?m)^name: $name$"
        $config | Should -Match '(?m)^scsi0: local-lvm:base-9000-disk-0/vm-150-disk-0|(?m)^scsi0: local-lvm:vm-150-disk-0'
    }
}

Describe 'Guest isolation' {
    It 'keeps a file written in one guest out of another guest and off this machine' {
        $null = Invoke-Remote $ssh 'qm', 'clone', '9000', '102', '--name', 'web-02'
        $null = Start-PhoenixVm -VmId 102 | Wait-PhoenixGuestAgent -TimeoutSec 30
        $marker = '/etc/phoenix-isolation-' + [guid]::NewGuid().ToString('n')
        $w = Invoke-Remote $ssh 'qm', 'guest', 'exec', '101', '--', '/bin/sh', '-c', "echo 101 > $marker && cat $marker"
        $w.StdOut | Should -Match '"out-data" : "101\\n"'
        $again = Invoke-Remote $ssh 'qm', 'guest', 'exec', '101', '--', 'cat', $marker
        $again.StdOut | Should -Match '"exitcode" : 0'
        $other = Invoke-Remote $ssh 'qm', 'guest', 'exec', '102', '--', 'cat', $marker
        $other.StdOut | Should -Match '"exitcode" : 1'
        $other.StdOut | Should -Match 'No such file or directory'
        Test-Path $marker | Should -BeFalse
    }

    It 'gives all commands of one VM one file system, also while one of them runs, and keeps it over a restart' {
        $a = '/etc/phoenix-shared-a-' + [guid]::NewGuid().ToString('n')
        $b = '/var/phoenix-shared-b-' + [guid]::NewGuid().ToString('n')
        # The first command writes $a, then waits (at most 20 s) for $b, which only the second one writes.
        $wait = { param($f) "i=0; while [ ! -f $f ] && [ `$i -lt 200 ]; do sleep 0.1; i=`$((i + 1)); done" }
        $started = Invoke-Remote $ssh 'qm', 'guest', 'exec', '101', '--synchronous', '0', '--', '/bin/sh', '-c', "echo first > $a; $(& $wait $b); cat $b"
        $firstPid = ($started.StdOut | ConvertFrom-Json).pid
        $firstPid | Should -BeGreaterThan 0
        $second = Invoke-Remote $ssh 'qm', 'guest', 'exec', '101', '--timeout', '30', '--', '/bin/sh', '-c', "$(& $wait $a); cat $a; echo second > $b"
        ($second.StdOut | ConvertFrom-Json).'out-data' | Should -Be "first`n"
        for ($i = 0; $i -lt 300; $i++) {
            $status = (Invoke-Remote $ssh 'qm', 'guest', 'exec-status', '101', "$firstPid").StdOut | ConvertFrom-Json
            if ($status.exited) { break }
            Start-Sleep -Milliseconds 100
        }
        $status.exited | Should -Be 1
        $status.'out-data' | Should -Be "second`n"
        # Stopped and started again, the guest has its files (and a new namespace over them).
        $null = Invoke-Remote $ssh 'qm', 'stop', '101'
        $null = Start-PhoenixVm -VmId 101 | Wait-PhoenixGuestAgent -TimeoutSec 30
        $after = Invoke-Remote $ssh 'qm', 'guest', 'exec', '101', '--', 'cat', $a, $b
        ($after.StdOut | ConvertFrom-Json).'out-data' | Should -Be "first`nsecond`n"
    }

    It 'ends the processes of a stopped VM, as powering off does, and its new agent knows none of their pids' {
        $sleeper = Invoke-Remote $ssh 'qm', 'guest', 'exec', '101', '--synchronous', '0', '--', '/bin/sh', '-c', 'echo $$ > /tmp/phoenix-sleeper; exec sleep 300'
        $sleeperPid = ($sleeper.StdOut | ConvertFrom-Json).pid
        $sleeperPid | Should -BeGreaterThan 0
        for ($i = 0; $i -lt 100; $i++) {
            $read = (Invoke-Remote $ssh 'qm', 'guest', 'exec', '101', '--', 'cat', '/tmp/phoenix-sleeper').StdOut | ConvertFrom-Json
            if ($read.exitcode -eq 0 -and $read.'out-data') { break }
            Start-Sleep -Milliseconds 100
        }
        $inGuest = [int]$read.'out-data'.Trim()
        Test-Path "/proc/$inGuest" | Should -BeTrue
        $null = Invoke-Remote $ssh 'qm', 'stop', '101'
        # Killed by the stop; its parent outside the guest reaps it (a bounded wait, not a timing).
        for ($i = 0; $i -lt 100 -and (Test-Path "/proc/$inGuest"); $i++) { Start-Sleep -Milliseconds 50 }
        Test-Path "/proc/$inGuest" | Should -BeFalse
        $null = Start-PhoenixVm -VmId 101 | Wait-PhoenixGuestAgent -TimeoutSec 30
        # Proxmox: the agent started with the VM never ran that pid (not "exited 1, exitcode 137").
        $status = Invoke-Remote $ssh 'qm', 'guest', 'exec-status', '101', "$sleeperPid"
        ($status.ExitCode, $status.StdOut, $status.StdErr) | Should -Be @(255, '', "Agent error: Invalid parameter 'pid'`n")
    }
}

Describe 'The guest''s namespace holder' {
    BeforeAll {
        $script:guests = Join-Path $fake.stateDir 'node/var/lib/phoenix-sim/guests'
        # Starts $vmid's commands (--synchronous 0) all at once and returns their pids.
        $script:startAll = {
            param($vmid, [string[][]] $commands)
            $remoteCommand = Get-PhoenixType Phoenix.Engine.Transport.RemoteCommand
            $tasks = foreach ($c in $commands) {
                $ssh.RunAsync($remoteCommand::new('qm', [string[]](@('guest', 'exec', "$vmid", '--synchronous', '0', '--') + $c)), [TimeSpan]::FromSeconds(60))
            }
            foreach ($t in $tasks) { ($t.GetAwaiter().GetResult().StdOut | ConvertFrom-Json).pid }
        }
        # Each process's exec-status once it has exited.
        $script:waitAll = {
            param($vmid, $pids)
            foreach ($p in $pids) {
                for ($i = 0; $i -lt 300; $i++) {
                    $s = (Invoke-Remote $ssh 'qm', 'guest', 'exec-status', "$vmid", "$p").StdOut | ConvertFrom-Json
                    if ($s.exited) { break }
                    Start-Sleep -Milliseconds 100
                }
                $s
            }
        }
        $script:runAll = { param($vmid, [string[][]] $commands) & $waitAll $vmid (& $startAll $vmid $commands) }
        $script:holderOf = { param($vmid) [int]((Get-Content -Raw (Join-Path $guests "$vmid/ns/holder")).Trim() -split ' ')[0] }
        $script:gone = {
            param($processId)
            $stat = Get-Content -Raw "/proc/$processId/stat" -ErrorAction Ignore
            # Gone, or a zombie: what reaps it here is not the guest's business.
            -not $stat -or ($stat.Substring($stat.LastIndexOf(')') + 2, 1) -eq 'Z')
        }
    }

    It 'is made once for commands that start at once, and again when it was killed, over the same files' {
        $null = Invoke-Remote $ssh 'qm', 'clone', '9000', '104', '--name', 'ns-once'
        $null = Start-PhoenixVm -VmId 104 | Wait-PhoenixGuestAgent -TimeoutSec 30
        # The test holds the guest's namespace lock while both commands start, so both look for the namespace
        # at about the same moment (.NET's FileShare.None is an flock on Linux): only the lock keeps it one.
        $ns = New-Item -ItemType Directory -Force (Join-Path $guests '104/ns')
        $lock = [System.IO.FileStream]::new((Join-Path $ns 'lock'), 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            $pids = & $startAll 104 @(@('readlink', '/proc/self/ns/mnt'), @('readlink', '/proc/self/ns/mnt'))
            Start-Sleep -Milliseconds 500
        } finally { $lock.Dispose() }
        $first = & $waitAll 104 $pids
        $first.exitcode | Should -Be @(0, 0)
        $first[0].'out-data' | Should -Match '^mnt:\[\d+\]\n$'
        $first[1].'out-data' | Should -Be $first[0].'out-data'
        $first[0].'out-data' | Should -Not -Be "$(& readlink /proc/self/ns/mnt)`n"
        $holder = & $holderOf 104
        $null = & $runAll 104 @(, @('/bin/sh', '-c', 'echo kept > /etc/phoenix-ns-kept'))
        & $holderOf 104 | Should -Be $holder

        # A holder killed by someone else: the next command sees it is not there and makes a new namespace.
        Stop-Process -Id $holder -Force
        for ($i = 0; $i -lt 100 -and -not (& $gone $holder); $i++) { Start-Sleep -Milliseconds 50 }
        $again = & $runAll 104 @(, @('cat', '/etc/phoenix-ns-kept'))
        ($again.exitcode, $again.'out-data') | Should -Be @(0, "kept`n")
        $new = & $holderOf 104
        $new | Should -Not -Be $holder
        & $gone $new | Should -BeFalse
    }

    It 'starts no process while the guest is idle, and ends when the guest folder is deleted' {
        $null = Invoke-Remote $ssh 'qm', 'clone', '9000', '103', '--name', 'ns-idle'
        $null = Start-PhoenixVm -VmId 103 | Wait-PhoenixGuestAgent -TimeoutSec 30
        $r = Invoke-Remote $ssh 'qm', 'guest', 'exec', '103', '--', 'true'
        ($r.StdOut | ConvertFrom-Json).exitcode | Should -Be 0
        $holder = & $holderOf 103
        & $gone $holder | Should -BeFalse
        # Looked at 12 times over 3 s (more than a wake of its wait): never a child process (no sleep, no readlink).
        $children = for ($i = 0; $i -lt 12; $i++) {
            [System.IO.File]::ReadAllText("/proc/$holder/task/$holder/children").Trim()
            Start-Sleep -Milliseconds 250
        }
        ($children -join '') | Should -BeExactly ''
        Remove-Item -Recurse -Force (Join-Path $guests '103')
        for ($i = 0; $i -lt 200 -and -not (& $gone $holder); $i++) { Start-Sleep -Milliseconds 50 }
        & $gone $holder | Should -BeTrue
    }
}
