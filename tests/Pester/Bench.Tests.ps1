# A smoke test of the benchmark's pieces (the benchmark itself runs only in build.ps1 -Task Bench):
# the bash baseline passes shellcheck, and the reading of the fake host's command log is right.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tools/bench/BenchLog.psm1') -Force
    # Lines as the fake host's commands.log writes them (ShellQuote), from a Phoenix run and a baseline run.
    $script:look = "qm guest exec 201 -- /bin/sh -c 'd=`$1 s=`$2 w=`$3 k=`$4; shift 4; echo `"phoenix-poll 0`"' phoenix-poll /var/lib/phoenix/features /var/lib/phoenix/features.state 0 1048576 bench -1"
    $script:start = "qm guest exec 201 --pass-stdin 1 -- /bin/sh -c 'r=`$1 d=`$2 s=`$3; shift 7; echo `"phoenix-started `$!`"' phoenix-start 'echo `"`$`$`" > `"`$1/runner`"' /var/lib/phoenix/features /var/lib/phoenix/features.state /tmp/vm_context.json 312 'bench 0123 40,' 1800 env 'PHOENIX_VMID=201'"
    $script:poll = "qm guest exec 201 -- /bin/sh -c 'd=`$1 s=`$2 w=`$3 k=`$4; shift 4; echo `"phoenix-poll 0`"' phoenix-poll /var/lib/phoenix/features /var/lib/phoenix/features.state 250 1048576 bench 0"
    $script:firstDeploy = @(
        'qm list'
        'qm config 201'
        'qm config 9000'
        'qm clone 9000 201 --name bench-01'
        'pvesm status --content snippets'
        'pvesm path local:snippets/user-data-201.yml'
        "qm set 201 --cicustom 'user=local:snippets/user-data-201.yml,network=local:snippets/network-config-201.yml'"
        'qm start 201'
        'qm guest cmd 201 ping'
        'qm guest cmd 201 network-get-interfaces'
        $look
        $start
        $poll
        'qm status 202'
        "qm snapshot 201 post-features --description 'Phoenix: after features'"
    )
}

Describe 'tools/bench/baseline.sh' {
    It 'passes shellcheck' {
        $out = & shellcheck (Join-Path $env:PHOENIX_REPO_ROOT 'tools/bench/baseline.sh') 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
    }
}

Describe 'Reading the fake host''s command log' {
    It 'splits words as ShellQuote quotes them' {
        Split-ShellWords "qm snapshot 201 post-features --description 'it'\''s a `"golden`" one'" |
            Should -Be @('qm', 'snapshot', '201', 'post-features', '--description', 'it''s a "golden" one')
        Split-ShellWords "qm set 201 --description ''" | Should -Be @('qm', 'set', '201', '--description', '')
    }

    It 'names the kind and the VM of each command' {
        $kinds = $firstDeploy | ForEach-Object { $k = Get-BenchCommandKind (Split-ShellWords $_); "$($k.Kind)|$($k.VmId)|$($k.ReadOnly)" }
        $kinds | Should -Be @(
            'qm list||True'
            'qm config|201|True'
            'qm config|9000|True'
            'qm clone|201|False'
            'pvesm status||True'
            'pvesm path|201|True'
            'qm set|201|False'
            'qm start|201|False'
            'qm guest cmd ping|201|True'
            'qm guest cmd network-get-interfaces|201|True'
            'qm guest exec: feature poll|201|True'
            'qm guest exec: feature start|201|False'
            'qm guest exec: feature poll|201|True'
            'qm status|202|True'
            'qm snapshot|201|False'
        )
    }

    It 'tells the bash baseline''s guest programs apart' {
        (Get-BenchCommandKind (Split-ShellWords "qm guest exec 201 --pass-stdin 1 --timeout 3600 -- /bin/sh -c 'umask 077 && cat > /tmp/vm_context.json'")).Kind |
            Should -Be 'qm guest exec: write file'
        (Get-BenchCommandKind (Split-ShellWords "qm guest exec 201 --pass-stdin 1 --timeout 3600 -- env 'PHOENIX_VMID=201' /bin/bash -s")).Kind |
            Should -Be 'qm guest exec: feature run'
        (Get-BenchCommandKind (Split-ShellWords 'qm agent 201 ping')) | Should -Match 'qm guest cmd ping'
    }

    It 'takes a look started with --synchronous 0 as the feature poll and its exec-status as a read, both about the VM' {
        $quickLook = $look -replace '^qm guest exec 201 ', 'qm guest exec 201 --synchronous 0 '
        $quickLook | Should -Not -Be $look
        $k = Get-BenchCommandKind (Split-ShellWords $quickLook)
        "$($k.Kind)|$($k.VmId)|$($k.ReadOnly)" | Should -Be 'qm guest exec: feature poll|201|True'
        $k = Get-BenchCommandKind (Split-ShellWords 'qm guest exec-status 201 2002')
        "$($k.Kind)|$($k.VmId)|$($k.ReadOnly)" | Should -Be 'qm guest exec-status|201|True'
    }

    It 'counts a run: all commands, guest execs, per VM and per kind, and what changes something' {
        $m = Measure-CommandLog $firstDeploy
        $m.Total | Should -Be 15
        $m.GuestExec | Should -Be 3
        $m.ReadOnly | Should -BeFalse
        $m.Changing | Should -Be @($firstDeploy[3], $firstDeploy[6], $firstDeploy[7], $start, $firstDeploy[14])
        $m.ByVm['201'] | Should -Be 11
        $m.ByVm['202'] | Should -Be 1
        $m.ByKind['qm guest exec: feature poll'] | Should -Be 2
        Format-KindCounts (Get-VmKindCounts $m -VmId 201) |
            Should -Be ('qm guest exec: feature poll 2, pvesm path 1, qm clone 1, qm config 1, qm guest cmd network-get-interfaces 1, qm guest cmd ping 1, ' +
                'qm guest exec: feature start 1, qm set 1, qm snapshot 1, qm start 1')
        Format-KindCounts (Get-VmKindCounts $m -Except 201, 202) | Should -Be 'pvesm status 1, qm config 1, qm list 1'
    }

    It 'calls a run of reads read-only, and an empty log too' {
        $rerun = $firstDeploy | Where-Object { (Get-BenchCommandKind (Split-ShellWords $_)).ReadOnly }
        (Measure-CommandLog $rerun).ReadOnly | Should -BeTrue
        $empty = Measure-CommandLog @()
        $empty.Total | Should -Be 0
        $empty.ReadOnly | Should -BeTrue
        Format-KindCounts $empty.ByKind | Should -Be 'none'
    }
}

Describe 'Format-Timeline' {
    It 'gives seconds from the first command''s start, sorted by start, with the exit code and the command as logged' {
        $lines = @(
            "1700000001250 1700000001550 0 qm config 201"
            "1700000000000 1700000002000 0 qm clone 9000 201 --name 'bench 01'"
            "1700000001000 1700000001300 2 qm config 4242"
            'not a timeline line'
        )
        Format-Timeline $lines | Should -Be @(
            "   0.00    2.00   0 qm clone 9000 201 --name 'bench 01'"
            '   1.00    1.30   2 qm config 4242'
            '   1.25    1.55   0 qm config 201'
        )
        @(Format-Timeline @()) | Should -HaveCount 0
    }
}
