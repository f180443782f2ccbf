# Invoke-PhoenixFeature on the fake host over SSH: scripts really run in an isolated guest, with
# recording stand-ins for apt-get, curl, systemctl, usermod and the like.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
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
