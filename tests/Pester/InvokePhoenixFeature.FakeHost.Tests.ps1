# Invoke-PhoenixFeature on the fake host over SSH: scripts really run in an isolated guest, with
# recording stand-ins for apt-get, curl, systemctl, usermod and the like.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:run = Start-FakeHostSession
    $script:fake = $run.Fake; $script:session = $run.Session; $script:ssh = $run.Ssh

    $script:featureDir = Join-Path ([System.IO.Path]::GetTempPath()) ("phoenix-ftest-" + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $null = New-Item -ItemType Directory $featureDir
    Set-Content (Join-Path $featureDir 'feature_install_failer.sh') -Value @'
#!/bin/bash
# Description: prints three lines, then fails with exit code 3
echo "step one"
echo "step two"
echo "giving up" >&2
exit 3
'@
    Set-Content (Join-Path $featureDir 'feature_install_hello.sh') -Value @'
#!/bin/bash
# Description: leaves a marker
touch /var/lib/phoenix-hello
echo PHOENIX_CHANGED=1
'@
    Set-Content (Join-Path $featureDir 'feature_install_slow.sh') -Value @'
#!/bin/bash
# Description: runs for several seconds, printing as it goes, and ends with exit code 4
for i in 1 2 3 4; do echo "slow line $i"; sleep 1.5; done
exit 4
'@

    Set-Content (Join-Path $featureDir 'feature_install_counted.sh') -Value @'
#!/bin/bash
# Description: counts its runs, then ticks for twenty seconds (a deploy killed meanwhile is followed by the next)
echo run >> /var/lib/phoenix-counted
for i in $(seq 1 40); do echo "tick $i"; sleep 0.5; done
echo PHOENIX_CHANGED=1
'@
    Set-Content (Join-Path $featureDir 'feature_install_ctxprobe.sh') -Value @'
#!/bin/bash
# Description: shows who owns the context file, its mode, and the VM it names
stat -c 'context %F %U %a' "$PHOENIX_CONTEXT_FILE"
python3 -c 'import json,sys; print("vmid", json.load(open(sys.argv[1]))["vmid"])' "$PHOENIX_CONTEXT_FILE"
'@

    # Runs a shell line in VM 202's guest as root through qm guest exec; returns its stdout.
    function Invoke-Guest([string] $line, [string] $vmid = '202') {
        $r = Invoke-Remote $ssh 'qm', 'guest', 'exec', $vmid, '--', '/bin/sh', '-c', $line
        ($r.StdOut | ConvertFrom-Json).'out-data'
    }

    # Reads a file in VM 202's guest through qm guest exec; returns its text or $null.
    function Read-GuestFile([string] $path) {
        $r = Invoke-Remote $ssh 'qm', 'guest', 'exec', '202', '--', 'cat', $path
        $j = $r.StdOut | ConvertFrom-Json
        if ($j.exitcode -ne 0) { return $null }
        return $j.'out-data'
    }

    $example = Join-Path $env:PHOENIX_REPO_ROOT 'examples/phoenix.example.json'
    $script:spec = Import-PhoenixConfig -Path $example | Where-Object VmId -EQ 202
    $script:vm = $spec | New-PhoenixVm | Set-PhoenixCloudInit | Start-PhoenixVm | Wait-PhoenixGuestAgent -TimeoutSec 30
}

AfterAll {
    Stop-FakeHostSession $run
    Remove-Item -Recurse -Force $featureDir -ErrorAction Ignore
}

Describe 'The docker feature in a fake guest' {
    It 'runs the seed''s steps in order and adds the user to the docker group' {
        $r = $vm | Invoke-PhoenixFeature -Name docker
        $r.Feature | Should -Be 'docker'
        $r.ExitCode | Should -Be 0
        $r.Changed | Should -BeTrue
        $calls = @((Read-GuestFile '/var/log/phoenix-guest/calls.log') -split "`n" |
            Where-Object { $_ -and $_ -notmatch '^(dpkg|dpkg-query|systemctl is-|fuser|lsb_release)' })
        $expected = @(
            '^apt-get .*update'
            '^apt-get .*install -y ca-certificates curl'
            '^curl -fsSL https://download\.docker\.com/linux/ubuntu/gpg'
            '^apt-get .*update'
            '^apt-get .*install -y docker-ce docker-ce-cli containerd\.io'
            '^systemctl enable docker'
            '^systemctl start docker'
            '^usermod -aG docker phoenix$'
        )
        $at = -1
        foreach ($pattern in $expected) {
            $next = -1
            for ($i = $at + 1; $i -lt $calls.Count; $i++) { if ($calls[$i] -match $pattern) { $next = $i; break } }
            $next | Should -BeGreaterThan $at -Because "'$pattern' must follow the earlier steps in: $($calls -join ' | ')"
            $at = $next
        }
        Read-GuestFile '/etc/group' | Should -Match '(?m)^docker:x:\d+:phoenix$'
    }

    It 'writes the spec into the guest''s context file without secrets' {
        $context = Read-GuestFile '/tmp/vm_context.json'
        $json = $context | ConvertFrom-Json
        $json.vmid | Should -Be 202
        $json.user_config.username | Should -Be 'phoenix'
        $context | Should -Not -Match 'password_hash'
        $context | Should -Not -Match '\$6\$'
    }

    It 'keeps the files in the guest, not on this machine' {
        Test-Path /tmp/vm_context.json | Should -BeFalse
        Test-Path /var/log/phoenix-guest/calls.log | Should -BeFalse
    }

    It 'changes nothing on a second run' {
        $before = @((Read-GuestFile '/var/log/phoenix-guest/calls.log') -split "`n").Count
        $skipped = $vm | Invoke-PhoenixFeature -Name docker
        $skipped.Changed | Should -BeFalse
        $forced = $vm | Invoke-PhoenixFeature -Name docker -Force
        $forced.ExitCode | Should -Be 0
        $forced.Changed | Should -BeFalse
        $new = @((Read-GuestFile '/var/log/phoenix-guest/calls.log') -split "`n" | Select-Object -Skip ($before - 1))
        @($new | Where-Object { $_ -match '^apt-get .*install|^usermod|^systemctl (enable|start)' }) | Should -HaveCount 0
    }
}

Describe 'Failing and long features' {
    It 'reports a failing feature with the VM, the feature, the exit code and its last lines, and stops there' {
        $err = $null
        $out = $vm | Invoke-PhoenixFeature -Name failer, hello -FeaturePath $featureDir -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'FeatureFailed,Phoenix.PowerShell.Commands.InvokePhoenixFeatureCommand'
        $err[0].TargetObject | Should -Be 202
        $m = $err[0].Exception.Message
        $m | Should -Match 'VM 202'
        $m | Should -Match 'failer'
        $m | Should -Match 'exit code 3'
        $m | Should -Match 'step two'
        $m | Should -Match 'giving up'
        Read-GuestFile '/var/lib/phoenix-hello' | Should -BeNullOrEmpty
        @($out | Where-Object Feature -EQ 'hello') | Should -HaveCount 0
    }

    It 'streams a long feature''s lines and reports its real exit code' {
        $err = $null
        $all = $vm | Invoke-PhoenixFeature -Name slow -FeaturePath $featureDir -Verbose -ErrorVariable err -ErrorAction SilentlyContinue 4>&1
        $lines = ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $lines | Should -Match 'slow line 1'
        $lines | Should -Match 'slow line 4'
        $err[0].Exception.Message | Should -Match 'exit code 4'
    }
}

Describe 'A context path another user holds' {
    AfterEach { $null = Invoke-Guest 'rm -rf /tmp/vm_context.json' }

    It 'is refused when it is <kind>, and nothing of the other user''s is followed or changed' -ForEach @(
        @{ kind = 'a directory'; make = 'mkdir /tmp/vm_context.json && echo theirs > /tmp/vm_context.json/inside && chown -R nobody /tmp/vm_context.json'
           check = 'stat -c "%F %U" /tmp/vm_context.json; cat /tmp/vm_context.json/inside'; expected = "directory nobody`ntheirs`n" }
        @{ kind = 'a file of another user'; make = 'echo theirs > /tmp/vm_context.json && chown nobody /tmp/vm_context.json'
           check = 'stat -c "%F %U" /tmp/vm_context.json; cat /tmp/vm_context.json'; expected = "regular file nobody`ntheirs`n" }
        @{ kind = 'a link to another file'; make = 'echo theirs > /tmp/their-file && chown nobody /tmp/their-file && ln -s /tmp/their-file /tmp/vm_context.json'
           check = 'stat -c "%F" /tmp/vm_context.json; cat /tmp/their-file'; expected = "symbolic link`ntheirs`n" }
    ) {
        $null = Invoke-Guest "rm -rf /tmp/vm_context.json; $make"
        $err = $null
        $out = $spec | Invoke-PhoenixFeature -Name ctxprobe -FeaturePath $featureDir -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'FeatureDeliveryFailed,Phoenix.PowerShell.Commands.InvokePhoenixFeatureCommand'
        $err[0].Exception.Message | Should -BeLike 'VM 202 (*): /tmp/vm_context.json in the guest is not a regular file owned by root*started no feature (ctxprobe)*'
        Invoke-Guest $check | Should -Be $expected
        # No private folder of Phoenix's is left in /tmp.
        Invoke-Guest 'ls -a /tmp | grep -c phoenix-context || true' | Should -Be "0`n"
    }

    It 'gets a root-only context file once the path is free, replacing a file of root''s without writing through it' {
        $null = Invoke-Guest 'echo old > /tmp/vm_context.json && ln /tmp/vm_context.json /tmp/context-hardlink'
        $r = $spec | Invoke-PhoenixFeature -Name ctxprobe -FeaturePath $featureDir -Force
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Be "context regular file root 600`nvmid 202`n"
        Invoke-Guest 'cat /tmp/context-hardlink' | Should -Be "old`n"
    }
}

Describe 'A deploy killed while a feature runs' {
    It 'is followed to the feature''s end by the next run, which takes its exit code and goes on' {
        $config = Join-Path $featureDir 'killed.json'
        @{ vms = @(@{ vmid = 210; name = 'killed'; user_config = @{ username = 'phoenix' }; features = @('counted') }) } |
            ConvertTo-Json -Depth 5 | Set-Content $config
        $script = ("Connect-PhoenixHost -HostName $($fake.host) -Port $($fake.port) -UserName $($fake.user) -KeyFile '$($fake.keyFile)' " +
            "-HostKeyFingerprint '$($fake.hostKeyFingerprint)' | Out-Null; ") +
            "Import-PhoenixConfig -Path '$config' -FeaturePath '$featureDir' | Deploy-PhoenixVm -FeaturePath '$featureDir' -AgentTimeoutSec 60"
        $child = Start-ChildPwsh $script
        # Killed once the feature runs: its start was sent and the feature has begun in the guest (the start waits there for
        # its end, so the kill lands in the middle of a guest exec).
        $started = { @(Get-Audit $fake | Where-Object { $_ -match '^qm guest exec 210 .* phoenix-start ' }).Count -gt 0 -and
            (Invoke-Guest 'cat /var/lib/phoenix-counted 2>/dev/null || true' '210') -eq "run`n" }
        $deadline = (Get-Date).AddSeconds(90)
        while ((Get-Date) -lt $deadline -and -not (& $started)) { Start-Sleep -Milliseconds 200 }
        (& $started) | Should -BeTrue
        Stop-Process -Id $child.Id -Force
        $child.WaitForExit()
        Invoke-Guest 'cat /var/lib/phoenix/features/counted.status 2>/dev/null || echo none' '210' | Should -Be "none`n"
        # The killed deploy may have sent more than one start (one that qm refused while the agent was not up yet).
        $auditAtKill = @(Get-Audit $fake).Count

        $r = Import-PhoenixConfig -Path $config -FeaturePath $featureDir | Deploy-PhoenixVm -FeaturePath $featureDir -AgentTimeoutSec 60
        $r.Status | Should -Be 'Succeeded'
        $r.Changes | Should -Contain 'feature counted: changed'
        # It ran once: followed, not started again.
        Invoke-Guest 'cat /var/lib/phoenix-counted' '210' | Should -Be "run`n"
        @(Get-Audit $fake | Select-Object -Skip $auditAtKill | Where-Object { $_ -match '^qm guest exec 210 .* phoenix-start ' }) | Should -HaveCount 0

        $again = Import-PhoenixConfig -Path $config -FeaturePath $featureDir | Deploy-PhoenixVm -FeaturePath $featureDir
        $again.Changed | Should -BeFalse
        Invoke-Guest 'cat /var/lib/phoenix-counted' '210' | Should -Be "run`n"
    }
}
