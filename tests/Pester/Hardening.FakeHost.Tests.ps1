# Hardening on the fake host over SSH: no secret in any output, log or result of a full deploy; snippets 0600 from
# their first byte; a VMID held by a VM the config does not describe is left alone; a non-root login user with sudo.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:secrets = Get-TestSecret

    # Changing commands, as the fake host's audit log (commands.log) records them.
    $script:changing = Get-ChangingCommandPattern

    $script:featureDir = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-harden-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $null = New-Item -ItemType Directory $featureDir
    Set-Content -LiteralPath (Join-Path $featureDir 'feature_install_marker.sh') -Value @'
#!/bin/bash
# Description: leaves a marker and prints the context file's user
mkdir -p /var/lib/phoenix-test && echo "$PHOENIX_USERNAME" > /var/lib/phoenix-test/marker
echo PHOENIX_CHANGED=1
'@

    # A config with a password hash, an SSH key and a feature.
    function New-SecretConfig([int] $VmId, [string] $Name) {
        $path = Join-Path $featureDir "secret-$VmId.json"
        Set-Content -LiteralPath $path -Value (@{
                vms = @(@{
                        vmid = $VmId; name = $Name; features = @('marker')
                        network_config = @{ ip = "10.0.0.$($VmId % 200)/24"; gw = '10.0.0.1'; nameservers = @('10.0.0.13') }
                        user_config = @{ username = 'phoenix'; password_hash = $secrets.PasswordHash; ssh_public_keys = @($secrets.Ed25519Key) }
                    })
            } | ConvertTo-Json -Depth 10)
        $path
    }

    # The lines of a private key file that are key material (the base64 body, not the BEGIN/END lines).
    function Get-KeyMaterial([string] $KeyFile) {
        @(Get-Content -LiteralPath $KeyFile | Where-Object { $_ -and $_ -notmatch '^-----' -and $_.Length -ge 16 })
    }

    # Every text that may carry a secret: a record's text, an error's message and its inner exceptions'.
    function ConvertTo-ScanText($Records) {
        $parts = foreach ($r in $Records) {
            if ($null -eq $r) { continue }
            [string]$r
            if ($r -is [System.Management.Automation.ErrorRecord]) {
                $e = $r.Exception
                while ($e) { $e.Message; $e = $e.InnerException }
                if ($r.ErrorDetails) { $r.ErrorDetails.Message; $r.ErrorDetails.RecommendedAction }
            }
            if ($r -is [System.Management.Automation.InformationRecord]) { [string]$r.MessageData }
        }
        ($parts -join "`n") + "`n" + ($Records | Out-String -Width 4096)
    }
}

AfterAll {
    Remove-Item -Recurse -Force $featureDir -ErrorAction Ignore
}

Describe 'Secret scan: a full deploy with a password hash, an SSH key and a feature' {
    BeforeAll {
        $script:run = Start-FakeHostSession
        $script:fake = $run.Fake; $script:ssh = $run.Ssh
        $script:config = New-SecretConfig 301 'secret-01'
        $script:key = Get-KeyMaterial $fake.keyFile
        $key.Count | Should -BeGreaterThan 0

        # -WarningAction Continue: with -Debug a binary cmdlet's warnings would otherwise ask (Inquire), which a
        # non-interactive run cannot answer.
        $transcript = Join-Path $featureDir 'transcript.txt'
        $null = Start-Transcript -LiteralPath $transcript -UseMinimalHeader
        try {
            $script:plan = Import-PhoenixConfig $config -FeaturePath $featureDir |
                Deploy-PhoenixVm -FeaturePath $featureDir -WhatIf -Verbose -Debug -InformationAction Continue -WarningAction Continue *>&1
            $script:streams = Import-PhoenixConfig $config -FeaturePath $featureDir |
                Deploy-PhoenixVm -FeaturePath $featureDir -AgentTimeoutSec 60 -Verbose -Debug -InformationAction Continue -WarningAction Continue *>&1
            $script:again = Import-PhoenixConfig $config -FeaturePath $featureDir | Set-PhoenixCloudInit -Force -Verbose -Debug -WarningAction Continue *>&1
        } finally { $null = Stop-Transcript }
        $script:transcriptText = Get-Content -Raw -LiteralPath $transcript
        $script:results = @($streams + $again | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] -and
                $_ -isnot [System.Management.Automation.DebugRecord] -and $_ -isnot [System.Management.Automation.InformationRecord] -and
                $_ -isnot [System.Management.Automation.WarningRecord] -and $_ -isnot [System.Management.Automation.ErrorRecord] })
        $script:specs = @(Import-PhoenixConfig $config -FeaturePath $featureDir)
    }
    AfterAll { Stop-FakeHostSession $run }

    It 'deploys, so there was something to leak' {
        $deployed = @($results | Where-Object { $_.PSObject.Properties['Status'] })
        $deployed.Status | Should -Contain 'Succeeded'
        @($streams | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -BeGreaterThan 10
        @($streams | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
        $transcriptText | Should -Match 'What if:'
    }

    It 'writes neither the hash nor the private key to any stream, the transcript or the -WhatIf plan' {
        $text = (ConvertTo-ScanText ($plan + $streams + $again)) + $transcriptText
        $text | Should -Not -BeLike "*$($secrets.PasswordHash)*"
        foreach ($line in $key) { $text.Contains($line) | Should -BeFalse -Because 'no line of the private key may show' }
    }

    It 'keeps them out of every result object through ConvertTo-Json -Depth 10 and Export-Clixml' {
        foreach ($r in $results + $specs) {
            $json = $r | ConvertTo-Json -Depth 10 -WarningAction SilentlyContinue
            $json | Should -Not -BeLike "*$($secrets.PasswordHash)*" -Because "$($r.GetType().Name) as JSON"
            $xml = Join-Path $featureDir 'result.xml'
            $r | Export-Clixml -LiteralPath $xml -Depth 10
            $clixml = Get-Content -Raw -LiteralPath $xml
            $clixml | Should -Not -BeLike "*$($secrets.PasswordHash)*" -Because "$($r.GetType().Name) as CLIXML"
            foreach ($line in $key) { ($json + $clixml).Contains($line) | Should -BeFalse }
        }
    }

    It 'keeps them out of the guest''s context file and the fake host''s own logs' {
        $r = Invoke-Remote $ssh 'qm', 'guest', 'exec', '301', '--', 'cat', '/tmp/vm_context.json'
        $context = ($r.StdOut | ConvertFrom-Json).'out-data'
        $context | Should -Match 'secret-01'
        $context | Should -Not -BeLike "*$($secrets.PasswordHash)*"
        $logs = @(Get-ChildItem -LiteralPath $fake.root -Recurse -File -Include '*.log' -ErrorAction Ignore)
        $logs.Name | Should -Contain 'commands.log'
        $logs.Name | Should -Contain 'sshd.log'
        foreach ($log in $logs) {
            $text = Get-Content -Raw -LiteralPath $log.FullName
            if (-not $text) { continue }
            $text | Should -Not -BeLike "*$($secrets.PasswordHash)*" -Because $log.FullName
            foreach ($line in $key) { $text.Contains($line) | Should -BeFalse -Because $log.FullName }
        }
    }

    It 'creates every snippet that holds the hash 0600 from its first byte, as root, and leaves it 0600' {
        $snippets = Join-Path $fake.stateDir 'node/var/lib/vz/snippets'
        $withHash = @(Get-ChildItem -LiteralPath $snippets -File | Where-Object { (Get-Content -Raw -LiteralPath $_.FullName) -like "*$($secrets.PasswordHash)*" })
        $withHash.Name | Should -Be @('user-data-301.yml')
        $created = @(Get-CreatedFiles $fake)
        foreach ($file in $withHash) {
            # Each upload's temporary file, which mv puts in place: the record is its mode before any byte was written.
            $temps = @($created | Where-Object { [System.IO.Path]::GetFileName($_.Path) -like ".$($file.Name).phoenix-*.tmp" })
            $temps.Count | Should -BeGreaterOrEqual 2 -Because 'deployed, then uploaded again with -Force'
            $temps.Mode | Sort-Object -Unique | Should -Be '600'
            $temps.Owner | Sort-Object -Unique | Should -Be 'root'
            (& stat -c '%a' -- $file.FullName) | Should -Be '600'
        }
        # No leftover temporary file, and the drive's own copy of the user-data is 0600 as well.
        @(Get-ChildItem -LiteralPath $snippets -Force -Filter '.*.tmp') | Should -BeNullOrEmpty
        (& stat -c '%a' -- (Join-Path $fake.stateDir 'node/var/lib/phoenix-sim/cloudinit/301/user-data')) | Should -Be '600'
    }
}

Describe 'Identity: a VMID held by a VM the config does not describe' {
    BeforeAll {
        $script:run = Start-FakeHostSession
        $script:fake = $run.Fake; $script:ssh = $run.Ssh
        $null = Invoke-Remote $ssh 'qm', 'clone', '9000', '302', '--name', 'someone-else'
        $script:config = New-SecretConfig 302 'wanted-302'
    }
    AfterAll { Stop-FakeHostSession $run }

    It 'Remove-PhoenixVm and Deploy-PhoenixVm refuse it, and the host''s command log shows nothing changed' {
        $before = @(Get-Audit $fake).Count
        $configBefore = (Invoke-Remote $ssh 'qm', 'config', '302').StdOut
        $err = $null
        Import-PhoenixConfig $config -FeaturePath $featureDir | Remove-PhoenixVm -Force -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNameMismatch,Phoenix.PowerShell.Commands.RemovePhoenixVmCommand'
        $err[0].Exception.Message | Should -BeLike "*VM 302 (someone-else)*not 'wanted-302'*"
        $r = Import-PhoenixConfig $config -FeaturePath $featureDir |
            Deploy-PhoenixVm -FeaturePath $featureDir -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        (($r.Errors -join "`n") + ($r | Out-String)) | Should -Match 'someone-else'
        $new = @(Get-Audit $fake | Select-Object -Skip $before)
        $new | Should -Contain 'qm config 302'
        @($new | Where-Object { $_ -match $changing }) | Should -BeNullOrEmpty
        # Nor did anything change behind the log's back: the VM is as it was, and no snippet was written for it.
        $configAfter = (Invoke-Remote $ssh 'qm', 'config', '302').StdOut
        $configAfter | Should -Be $configBefore
        Test-Path (Join-Path $fake.stateDir 'node/var/lib/vz/snippets/user-data-302.yml') | Should -BeFalse
    }
}

Describe 'A non-root login user with sudo' -Skip:((& id -u) -ne '0') {
    BeforeAll {
        $script:fake = Start-FakeHost -LoginUsers
        $script:example = Join-Path $env:PHOENIX_REPO_ROOT 'examples/phoenix.example.json'
    }
    AfterAll {
        Get-PhoenixHost | Where-Object { $_.HostName -eq $fake.host -and $_.Port -eq $fake.port } | Disconnect-PhoenixHost
        Stop-FakeHost $fake
    }

    It 'without a sudoers rule: a clear error naming the command, before anything changes' {
        $before = @(Get-Audit $fake).Count
        $err = $null
        Connect-FakeHost $fake -UserName $fake.noSudoUser -UseSudo -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SudoRefused,*'
        $err[0].Exception.Message | Should -BeLike "sudo on 127.0.0.1:$($fake.port) did not run hostname for 'phoenix-nosudo': sudo: *"
        # With the node given, the session opens; the first command of a deploy is refused the same way.
        $session = Connect-FakeHost $fake -UserName $fake.noSudoUser -UseSudo -Node pve
        try {
            $r = Import-PhoenixConfig $example | Deploy-PhoenixVm -Session $session -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
            @($r | Where-Object Status -EQ 'Succeeded') | Should -BeNullOrEmpty
            ($r.Errors -join "`n") | Should -Match "SudoRefused|sudo on 127\.0\.0\.1:$($fake.port) did not run"
        } finally { $session | Disconnect-PhoenixHost }
        @(Get-Audit $fake).Count | Should -Be $before
    }

    It 'with the rule: deploys the example config, every command through sudo, snippets root''s and 0600 from creation' {
        $session = Connect-FakeHost $fake -UserName $fake.sudoUser -UseSudo
        try {
            $session.UseSudo | Should -BeTrue
            $session.UserName | Should -Be 'phoenix-sudo'
            $r = Import-PhoenixConfig $example | Deploy-PhoenixVm -Session $session -AgentTimeoutSec 60 -WarningAction SilentlyContinue
            $r.Status | Sort-Object -Unique | Should -Be 'Succeeded'
            $again = Import-PhoenixConfig $example | Deploy-PhoenixVm -Session $session -AgentTimeoutSec 60 -WarningAction SilentlyContinue
            $again.Changed | Sort-Object -Unique | Should -Be $false
        } finally { $session | Disconnect-PhoenixHost }
        $snippet = Join-Path $fake.stateDir 'node/var/lib/vz/snippets/user-data-201.yml'
        (& stat -c '%a %U' -- $snippet) | Should -Be '600 root'
        $temps = @(Get-CreatedFiles $fake | Where-Object { [System.IO.Path]::GetFileName($_.Path) -like '.user-data-201.yml.phoenix-*.tmp' })
        $temps.Count | Should -BeGreaterThan 0
        ($temps | ForEach-Object { "$($_.Mode) $($_.Owner)" } | Sort-Object -Unique) | Should -Be '600 root'
        (Get-Content -Raw (Join-Path $fake.root 'sshd/sshd.log')) | Should -Match 'Accepted publickey for phoenix-sudo'
    }
}
