# The fake host's resident simulator (phoenix-sim serve) against the one-shot process it replaced: over real SSH,
# the same command gives the same bytes on stdout and stderr and the same exit code through the fake host's qm
# (which asks the resident simulator) as through `phoenix-sim qm` (the one-shot process), on the same state.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:fake = Start-FakeHost
    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) "phoenix-simserver-$PID"
    $null = New-Item -ItemType Directory -Force $work

    # Runs a command line over a new SSH connection with -Stdin's bytes as its stdin; returns the exact bytes of its
    # stdout and stderr (as hex, so a difference shows) and ssh's exit code (the remote one, or 255 for a dropped
    # connection). The command line is a list of words, each single-quoted for the remote shell.
    function Invoke-Ssh([string[]] $Words, [byte[]] $Stdin = @()) {
        $in = Join-Path $work 'in'; $out = Join-Path $work 'out'; $err = Join-Path $work 'err'
        [System.IO.File]::WriteAllBytes($in, $Stdin)
        $line = ($Words | ForEach-Object { "'" + ($_ -replace "'", "'\''") + "'" }) -join ' '
        $code = & bash -c 'ssh -i "$1" -p "$2" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=QUIET -o BatchMode=yes "root@127.0.0.1" "$3" <"$4" >"$5" 2>"$6"; echo $?' `
            bash $fake.keyFile $fake.port $line $in $out $err
        [pscustomobject]@{
            ExitCode = [int]$code
            StdOut   = [Convert]::ToHexString([System.IO.File]::ReadAllBytes($out))
            StdErr   = [Convert]::ToHexString([System.IO.File]::ReadAllBytes($err))
            Text     = [System.IO.File]::ReadAllText($out) + [System.IO.File]::ReadAllText($err)
        }
    }

    # The command through the resident simulator (qm) and through the one-shot process (phoenix-sim qm).
    function Invoke-Both([string[]] $Words, [byte[]] $Stdin = @()) {
        [pscustomobject]@{ Resident = (Invoke-Ssh $Words $Stdin); OneShot = (Invoke-Ssh (@('phoenix-sim') + $Words) $Stdin) }
    }

    function Set-Faults([string] $Json) { Set-Content -Path (Join-Path $fake.stateDir 'faults.json') -Value $Json }
}

AfterAll {
    if ($fake) { Stop-FakeHost $fake }
    if ($work) { Remove-Item -Recurse -Force $work -ErrorAction Ignore }
}

Describe 'The resident simulator answers as the one-shot process' {
    It 'byte for byte, with the exit code: <Name>' -ForEach @(
        @{ Name = 'a config'; Words = @('qm', 'config', '9000') }
        @{ Name = 'a listing'; Words = @('qm', 'list') }
        @{ Name = 'JSON from pvesh'; Words = @('pvesh', 'get', '/nodes/pve/qemu/9000/config', '--output-format', 'json') }
        @{ Name = 'a storage listing'; Words = @('pvesm', 'status') }
        @{ Name = 'a missing VM (stderr, exit 2)'; Words = @('qm', 'config', '4242') }
        @{ Name = 'a parameter error with the usage (exit 255)'; Words = @('qm', 'set', '9000', '--cores', 'many') }
        @{ Name = 'an unknown command'; Words = @('qm', 'frobnicate') }
        @{ Name = 'help, a long answer'; Words = @('qm', 'help') }
        @{ Name = 'non-ASCII and quoted arguments echoed in an error'; Words = @('qm', 'config', "caf$([char]0xe9) `"quoted`" 'single' `$HOME \ back") }
    ) {
        $r = Invoke-Both $Words
        $r.Resident.StdOut | Should -BeExactly $r.OneShot.StdOut
        $r.Resident.StdErr | Should -BeExactly $r.OneShot.StdErr
        $r.Resident.ExitCode | Should -Be $r.OneShot.ExitCode
        # Something was answered (an empty pair would prove nothing).
        ($r.Resident.StdOut + $r.Resident.StdErr) | Should -Not -BeNullOrEmpty
    }

    It 'writes the audit line of each command, as the one-shot process does' {
        $before = @(Get-Audit $fake).Count
        $null = Invoke-Both @('qm', 'config', '9000', '--current')
        @(Get-Audit $fake | Select-Object -Skip $before) | Should -Be @('qm config 9000 --current', 'qm config 9000 --current')
    }

    It 'passes stdin to a guest command, and a large answer with NUL bytes whole' {
        $null = Invoke-Ssh @('qm', 'clone', '9000', '101', '--name', 'stdin-test')
        Set-Faults '{ "agentStartupDelaySeconds": 0 }'
        (Invoke-Ssh @('qm', 'start', '101')).ExitCode | Should -Be 0
        $stdin = [System.Text.Encoding]::UTF8.GetBytes("line one`nsecond line $([char]0xe9)`n")
        $r = Invoke-Both @('qm', 'guest', 'exec', '101', '--pass-stdin', '1', '--', 'cat') $stdin
        $r.Resident.ExitCode | Should -Be 0
        $r.Resident.Text | Should -Match ([regex]::Escape('"out-data" : "line one\nsecond line'))
        $r.Resident.StdOut | Should -BeExactly $r.OneShot.StdOut
        $r.Resident.StdErr | Should -BeExactly $r.OneShot.StdErr
        # 30,000 NUL bytes come back JSON-escaped: an answer too large for the client's read builtin.
        $big = Invoke-Both @('qm', 'guest', 'exec', '101', '--', 'head', '-c', '30000', '/dev/zero')
        $big.Resident.StdOut.Length | Should -BeGreaterThan (2 * 30000)
        $big.Resident.StdOut | Should -BeExactly $big.OneShot.StdOut
        $big.Resident.ExitCode | Should -Be $big.OneShot.ExitCode
    }

    It 'drops the SSH connection on an injected ConnectionLost, as the one-shot process does' {
        Set-Faults '{ "drops": [ { "kind": "list", "count": 2, "phase": "before" } ] }'
        try {
            $before = @(Get-Audit $fake).Count
            $r = Invoke-Both @('qm', 'list')
        } finally { Set-Faults '{}' }
        # ssh's own exit code for a connection closed by the remote host, with nothing of the command's answer.
        $r.Resident.ExitCode | Should -Be 255
        $r.OneShot.ExitCode | Should -Be 255
        # Nothing of the command: the session was killed (ssh says so; the fall-back message would say the drop was not made).
        $r.Resident.StdOut | Should -BeExactly ''
        $r.OneShot.StdOut | Should -BeExactly ''
        $r.Resident.Text | Should -Not -Match 'phoenix-sim'
        $r.OneShot.Text | Should -Not -Match 'phoenix-sim'
        @(Get-Audit $fake | Select-Object -Skip $before) | Should -Be @('qm list', 'qm list')
        # The next command is answered again.
        (Invoke-Ssh @('qm', 'list')).ExitCode | Should -Be 0
    }

    It 'runs commands side by side: eight slow commands are all running at once' {
        # Every command waits 10 s (the fake Perl start). One at a time, the first would have ended long before the
        # eighth began; side by side, all eight have begun (their audit lines are written) while none has ended.
        Set-Faults '{ "latency": { "*": 10 } }'
        $before = @(Get-Audit $fake).Count
        $jobs = foreach ($i in 1..8) {
            Start-Process -PassThru -FilePath ssh -RedirectStandardOutput (Join-Path $work "par$i.out") -ArgumentList @(
                '-i', $fake.keyFile, '-p', $fake.port, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
                '-o', 'LogLevel=QUIET', '-o', 'BatchMode=yes', 'root@127.0.0.1', 'qm', 'status', '9000')
        }
        try {
            $eighth = Wait-AuditLine $fake -Pattern '^qm status 9000$' -Skip ($before + 7) -TimeoutSec 60
            $eighth | Should -Not -BeNullOrEmpty
            @($jobs | Where-Object HasExited) | Should -BeNullOrEmpty
            foreach ($j in $jobs) { $j.WaitForExit() }
            @($jobs | Where-Object ExitCode -NE 0) | Should -BeNullOrEmpty
            Get-Content (Join-Path $work 'par8.out') | Should -Be 'status: stopped'
        } finally {
            Set-Faults '{}'
            $jobs | Where-Object { -not $_.HasExited } | ForEach-Object { $_.Kill() }
        }
    }
}

Describe 'The fake host''s timeline' {
    It 'writes when each command began and ended, with its exit code, only once timeline.log exists' {
        Set-Faults '{}'
        $timeline = Join-Path $fake.stateDir 'timeline.log'
        Remove-Item $timeline -ErrorAction Ignore
        (Invoke-Ssh @('qm', 'config', '9000')).ExitCode | Should -Be 0
        Test-Path $timeline | Should -BeFalse
        Set-Content $timeline -Value $null
        (Invoke-Ssh @('qm', 'config', '9000')).ExitCode | Should -Be 0
        $missing = Invoke-Ssh @('qm', 'config', '4242')
        $missing.Text | Should -Match '4242'
        $missing.ExitCode | Should -Not -Be 0
        $lines = @(Get-Content $timeline | Where-Object { $_ })
        $lines | Should -HaveCount 2
        $lines[0] -match '^(\d{13}) (\d{13}) 0 qm config 9000$' | Should -BeTrue
        [long]$Matches[1] | Should -BeLessOrEqual ([long]$Matches[2])
        $lines[1] | Should -Match "^\d{13} \d{13} $($missing.ExitCode) qm config 4242$"
        Remove-Item $timeline
    }
}
