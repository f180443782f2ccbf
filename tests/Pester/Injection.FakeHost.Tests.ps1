# The injection corpus on the fake host: one table of hostile values sent through every cmdlet parameter and config
# field that reaches a remote command. Each value is either refused before the host is touched, with an error that
# names the parameter or the JSON path, or arrives on the host as exactly one argument (read back from the fake
# host's command log, commands.log, which quotes each argument as Phoenix's ShellQuote does).
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:key = (Get-TestSecret).Ed25519Key

    $script:hostile = [ordered]@{
        'single quote'     = "it's"
        'double quote'     = 'say "hi"'
        'command subst'    = 'x$(touch /tmp/phoenix-pwned)'
        'backticks'        = 'x`touch /tmp/phoenix-pwned`'
        'semicolon'        = 'x;touch /tmp/phoenix-pwned'
        'and-and'          = 'x && touch /tmp/phoenix-pwned'
        'newline'          = "x`ntouch /tmp/phoenix-pwned"
        'NUL'              = "x`0y"
        'leading dash'     = '--delete'
        'look-alike'       = "p" + [char]0x0430 + "ypal"   # a Cyrillic 'a'
        '4 KB'             = 'a' * 4096
    }

    # commands.log read back into argument lists: ShellQuote writes a bare word, or '...' with ' as '\''; a line break
    # outside quotes ends a command.
    function Get-AuditArgv($Fake) {
        $log = Join-Path $Fake.stateDir 'commands.log'
        $text = if (Test-Path $log) { [System.IO.File]::ReadAllText($log) } else { '' }
        $commands = [System.Collections.Generic.List[object]]::new()
        $argv = [System.Collections.Generic.List[string]]::new()
        $word = [System.Text.StringBuilder]::new(); $inWord = $false; $i = 0
        while ($i -lt $text.Length) {
            $c = $text[$i]
            if ($c -eq "'") {
                $end = $text.IndexOf("'", $i + 1)
                $null = $word.Append($text, $i + 1, $end - $i - 1); $inWord = $true; $i = $end + 1; continue
            }
            if ($c -eq '\') { $null = $word.Append($text[$i + 1]); $inWord = $true; $i += 2; continue }
            if ($c -eq ' ' -or $c -eq "`n") {
                if ($inWord) { $argv.Add($word.ToString()); $null = $word.Clear(); $inWord = $false }
                if ($c -eq "`n" -and $argv.Count -gt 0) { $commands.Add([string[]]$argv.ToArray()); $argv.Clear() }
                $i++; continue
            }
            $null = $word.Append($c); $inWord = $true; $i++
        }
        # Each command's argument list is one object down the pipeline.
        $commands
    }

    # The config of one VM with $Value at $Field (a JSON path below the VM); the rest is valid.
    function New-HostileConfig([string] $Field, [string] $Value, [int] $VmId = 311) {
        $vm = [ordered]@{
            vmid = $VmId; name = "inj-$VmId"
            network_config = [ordered]@{ ip = 'dhcp' }
            user_config = [ordered]@{ username = 'ops'; ssh_public_keys = @($key) }
        }
        switch -Regex ($Field) {
            '^features\[0\]$' { $vm.features = @($Value) }
            '^dependencies\[0\]$' { $vm.dependencies = @($Value) }
            '^qm_options\.(.+)$' { $vm.qm_options = [ordered]@{ $Matches[1] = $Value } }
            '^qm_options\[key\]$' { $vm.qm_options = [ordered]@{ $Value = '1' } }
            '^snapshots\.pre-features$' { $vm.snapshots = [ordered]@{ 'pre-features' = $Value } }
            '^user_config\.username$' { $vm.user_config.username = $Value }
            default { $vm[$Field] = $Value }
        }
        $path = Join-Path $TestDrive ("cfg-" + [guid]::NewGuid().ToString('n').Substring(0, 8) + '.json')
        Set-Content -LiteralPath $path -Value (@{ vms = @($vm) } | ConvertTo-Json -Depth 10) -NoNewline
        $path
    }

    $script:run = Start-FakeHostSession
    $script:fake = $run.Fake; $script:ssh = $run.Ssh
    $null = Invoke-Remote $ssh 'qm', 'clone', '9000', '310', '--name', 'target-310'
    # `touch` would run on this machine, which is the fake host: a file there means a value was run as a command.
    Remove-Item -LiteralPath /tmp/phoenix-pwned -ErrorAction Ignore
}

AfterAll {
    Stop-FakeHostSession $run
    Remove-Item -LiteralPath /tmp/phoenix-pwned -ErrorAction Ignore
}

Describe 'Cmdlet parameters that name things' {
    BeforeAll {
        # Each: the parameter's name and a call that passes the value to it (the rest valid).
        $script:targets = @(
            @{ Parameter = 'Name'; Call = { param($v) New-PhoenixSnapshot -VmId 310 -Name $v } }
            @{ Parameter = 'Name'; Call = { param($v) Restore-PhoenixSnapshot -VmId 310 -Name $v -Confirm:$false } }
            @{ Parameter = 'Name'; Call = { param($v) Remove-PhoenixSnapshot -VmId 310 -Name $v -Confirm:$false } }
            @{ Parameter = 'Name'; Call = { param($v) New-PhoenixVm -VmId 312 -Name $v } }
            @{ Parameter = 'SnapshotName'; Call = { param($v) New-PhoenixVm -VmId 312 -Name inj-312 -CloneFromVmId 310 -SnapshotName $v } }
            @{ Parameter = 'NetworkBridge'; Call = { param($v) New-PhoenixVm -VmId 312 -Name inj-312 -NetworkBridge $v } }
            @{ Parameter = 'StoragePool'; Call = { param($v) New-PhoenixVm -VmId 312 -Name inj-312 -StoragePool $v -FullClone $true } }
            @{ Parameter = 'Name'; Call = { param($v) New-PhoenixTemplate -VmId 9100 -Name $v -Image img.img } }
            @{ Parameter = 'ImageStorage'; Call = { param($v) New-PhoenixTemplate -VmId 9100 -Name tpl -Image img.img -ImageStorage $v } }
            @{ Parameter = 'Storage'; Call = { param($v) New-PhoenixTemplate -VmId 9100 -Name tpl -Image img.img -Storage $v } }
            @{ Parameter = 'NetworkBridge'; Call = { param($v) New-PhoenixTemplate -VmId 9100 -Name tpl -Image img.img -NetworkBridge $v } }
            @{ Parameter = 'SnippetStorage'; Call = { param($v) Set-PhoenixCloudInit -VmId 310 -HostName h -UserName ops -SshPublicKey $key -SnippetStorage $v } }
            @{ Parameter = 'SnippetStorage'; Call = { param($v) Deploy-PhoenixVm -Spec (Import-PhoenixConfig (New-HostileConfig 'name' 'inj-311')) -SnippetStorage $v } }
            @{ Parameter = 'Name'; Call = { param($v) Invoke-PhoenixFeature -VmId 310 -Name $v } }
            @{ Parameter = 'Name'; Call = { param($v) Remove-PhoenixVm -VmId 310 -Name $v -Confirm:$false } }
            @{ Parameter = 'Node'; Call = { param($v) Connect-PhoenixHost -Simulator -Node $v -NoDefault } }
        )
    }

    It 'refuses every hostile value while binding, naming the parameter, and the host sees no command' {
        $before = @(Get-Audit $fake).Count
        foreach ($t in $targets) {
            foreach ($e in $hostile.GetEnumerator()) {
                $because = "$($t.Call) with $($e.Key)"
                $err = { & $t.Call $e.Value } | Should -Throw -PassThru -Because $because
                $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*' -Because $because
                $err.Exception.Message | Should -BeLike "*parameter '$($t.Parameter)'*" -Because $because
                $err.Exception.Message | Should -Not -Match "`n" -Because "$because shows the value escaped"
            }
        }
        @(Get-Audit $fake).Count | Should -Be $before
        Test-Path /tmp/phoenix-pwned | Should -BeFalse
    }
}

Describe 'Config fields that name things' {
    It 'refuses every hostile value with a finding at its JSON path, and deploys nothing' {
        $before = @(Get-Audit $fake).Count
        $fields = 'name', 'node', 'storage_pool', 'network_bridge', 'template_snapshot_name', 'features[0]', 'dependencies[0]',
            'qm_options[key]', 'user_config.username'
        foreach ($field in $fields) {
            foreach ($e in $hostile.GetEnumerator()) {
                $because = "$field = $($e.Key)"
                $path = New-HostileConfig $field $e.Value
                $report = Test-PhoenixConfig $path 6>&1 2>&1 3>&1 | Out-String -Width 4096
                Test-PhoenixConfig $path -Quiet | Should -BeFalse -Because $because
                $jsonPath = if ($field -eq 'qm_options[key]') { 'vms[0].qm_options' } else { "vms[0].$field" }
                $report.Contains($jsonPath) | Should -BeTrue -Because "$because names $jsonPath in: $report"
                $r = Import-PhoenixConfig $path -ErrorAction SilentlyContinue -ErrorVariable err
                $r | Should -BeNullOrEmpty -Because $because
            }
        }
        @(Get-Audit $fake).Count | Should -Be $before
        Test-Path /tmp/phoenix-pwned | Should -BeFalse
    }
}

Describe 'Free text that reaches the host' {
    It 'New-PhoenixSnapshot -Description: each value is refused naming the parameter, or is exactly one argument of qm snapshot' {
        $i = 0
        foreach ($e in $hostile.GetEnumerator()) {
            $i++
            $name = "inj$i"
            if ($e.Value.Contains([char]0)) {
                $err = { New-PhoenixSnapshot -VmId 310 -Name $name -Description $e.Value } | Should -Throw -PassThru
                $err.Exception.Message | Should -BeLike "*parameter 'Description'*NUL*"
                continue
            }
            $null = New-PhoenixSnapshot -VmId 310 -Name $name -Description $e.Value
            $argv = @(Get-AuditArgv $fake | Where-Object { $_[0] -eq 'qm' -and $_[1] -eq 'snapshot' -and $_[3] -eq $name })
            $argv | Should -HaveCount 1 -Because $e.Key
            $argv[0] | Should -HaveCount 6 -Because $e.Key
            $argv[0][4] | Should -Be '--description'
            $argv[0][5] | Should -BeExactly $e.Value -Because $e.Key
        }
        Test-Path /tmp/phoenix-pwned | Should -BeFalse
    }

    # A description may span lines, as in Proxmox (qm config shows it %-escaped); a NUL is refused.
    It 'qm_options.description: a NUL is refused at its JSON path, anything else (a line break too) is exactly one argument of qm set' {
        $i = 0
        foreach ($e in $hostile.GetEnumerator()) {
            $i++
            $vmid = 320 + $i
            $path = New-HostileConfig 'qm_options.description' $e.Value -VmId $vmid
            if ($e.Value.Contains([char]0)) {
                Test-PhoenixConfig $path -Quiet | Should -BeFalse -Because $e.Key
                (Test-PhoenixConfig $path 6>&1 2>&1 3>&1 | Out-String -Width 4096).Contains('vms[0].qm_options.description') | Should -BeTrue
                continue
            }
            $null = Import-PhoenixConfig $path -WarningAction SilentlyContinue | New-PhoenixVm -WarningAction SilentlyContinue
            $sets = @(Get-AuditArgv $fake | Where-Object { $_[0] -eq 'qm' -and $_[1] -eq 'set' -and $_[2] -eq "$vmid" -and ($_ -ccontains $e.Value) })
            $sets.Count | Should -BeGreaterThan 0 -Because $e.Key
            $at = [array]::IndexOf($sets[0], $e.Value)
            $sets[0][$at - 1] | Should -Be '--description' -Because $e.Key
        }
        Test-Path /tmp/phoenix-pwned | Should -BeFalse
    }
}
