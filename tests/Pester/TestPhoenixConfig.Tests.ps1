BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:realWorld = Join-Path $env:PHOENIX_REPO_ROOT 'tests/fixtures/realworld-shape/phoenix_vm_configs.json'
    $secrets = Get-TestSecret
    $script:key = $secrets.Ed25519Key
    $script:hash = $secrets.PasswordHash

    function New-TestConfig([string] $Name, [string] $Json) {
        $path = Join-Path $TestDrive $Name
        Set-Content -LiteralPath $path -Value $Json -NoNewline
        return $path
    }

    function Get-LineOf([string] $Json, [string] $Marker) {
        $lines = $Json -split "`n"
        for ($i = 0; $i -lt $lines.Count; $i++) { if ($lines[$i].Contains($Marker)) { return $i + 1 } }
        throw "marker $Marker not found"
    }

    # A valid two-VM file; each rule test replaces one marked piece of it.
    $script:base = @"
{
  "vm_defaults": { "cores": 2, "memory_mb": 2048, "network_config": { "nameservers": ["10.0.0.13"] } },
  "vms": [
    {
      "vmid": 9000,
      "name": "tmpl",
      "is_template": true,
      "user_config": { "username": "phoenix" }
    },
    {
      "vmid": 101,
      "name": "web-01",
      "clone_from_vmid": 9000,
      "dependencies": [],
      "network_config": { "ip": "10.0.0.11/24", "gw": "10.0.0.1" },
      "user_config": { "username": "phoenix", "password_hash": "$hash", "ssh_public_keys": ["$key"] }
    }
  ]
}
"@

    # Runs Test-PhoenixConfig on $base with $Old replaced by $New and returns the one error finding.
    function Get-OnlyError([string] $Old, [string] $New, [string] $Name = 'rule.json') {
        if (-not $base.Contains($Old)) { throw "$Old is not in the base config" }
        $json = $base.Replace($Old, $New)
        $path = New-TestConfig $Name $json
        $errors = @(Test-PhoenixConfig $path | Where-Object Severity -EQ 'Error')
        $errors | Should -HaveCount 1
        return [pscustomobject]@{ Finding = $errors[0]; Json = $json; Path = $path }
    }
}

Describe 'Test-PhoenixConfig' {
    It 'finds nothing wrong in a valid file' {
        Test-PhoenixConfig (New-TestConfig 'valid.json' $base) | Should -BeNullOrEmpty
    }

    It 'returns only warnings for the real-world file, and -Quiet says $true' {
        $findings = Test-PhoenixConfig $realWorld
        $findings | ForEach-Object { $_ | Should -BeOfType (Get-PhoenixType Phoenix.Engine.Config.ConfigFinding) }
        ($findings | ForEach-Object Rule) | Should -Be @('TemplateSnapshotOnTemplate', 'FeatureNotFound', 'FeatureNotFound', 'DependencyOutsideFile',
            'FeatureNotFound', 'FeatureNotFound')
        ($findings | Where-Object Severity -EQ 'Error') | Should -BeNullOrEmpty
        $quiet = Test-PhoenixConfig $realWorld -Quiet
        $quiet | Should -BeOfType ([bool])
        $quiet | Should -BeTrue
    }

    It 'says $false with -Quiet, once for several files, when one has an error' {
        $bad = New-TestConfig 'quiet-bad.json' $base.Replace('"vmid": 101', '"vmid": 42')
        $result = @(Get-Item $realWorld, $bad | Test-PhoenixConfig -Quiet)
        $result | Should -HaveCount 1
        $result[0] | Should -BeFalse
    }

    It 'is usable as a CI gate' {
        $bad = New-TestConfig 'gate.json' '{ "vms": [] }'
        $exitCode = & { if (-not (Test-PhoenixConfig $bad -Quiet)) { 1 } else { 0 } }
        $exitCode | Should -Be 1
        $exitCode = & { if (-not (Test-PhoenixConfig $realWorld -Quiet)) { 1 } else { 0 } }
        $exitCode | Should -Be 0
    }

    It 'reports a missing file as a FileNotFound finding and -Quiet $false' {
        $missing = Join-Path $TestDrive 'missing.json'
        $f = Test-PhoenixConfig $missing
        $f.Rule | Should -Be 'FileNotFound'
        $f.File | Should -Be $missing
        $f.Line | Should -Be 0
        $f.Message | Should -Be "Config file '$missing' does not exist."
        Test-PhoenixConfig $missing -Quiet | Should -BeFalse
    }

    It 'reports broken JSON at the offending character' {
        $json = "{`n  `"vms`": [`n    { `"vmid`": 101 `"name`": `"x`" }`n  ]`n}"
        $f = Test-PhoenixConfig (New-TestConfig 'broken.json' $json)
        $f.Rule | Should -Be 'JsonSyntax'
        $f.Line | Should -Be 3
        $f.Column | Should -BeGreaterThan 0
        $f.Message | Should -BeLike '*(line 3): The file is not valid JSON*'
    }

    It 'reports an empty vms list' {
        $json = "{`n  `"vms`": []`n}"
        $f = Test-PhoenixConfig (New-TestConfig 'empty.json' $json)
        $f.Rule | Should -Be 'VmsEmpty'
        $f.JsonPath | Should -Be 'vms'
        $f.Line | Should -Be 2
        $f.Message | Should -Be "vms (line 2): 'vms' is empty: there is nothing to build."
    }
}

Describe 'Test-PhoenixConfig rule <Rule> names the JSON path and the line' -ForEach @(
    @{ Rule = 'VmIdRange'; Old = '"vmid": 101'; New = '"vmid": 99'; Path = 'vms[1].vmid'; Marker = '"vmid": 99'; Text = 'VMID 99 is outside 100..999999999*' }
    @{ Rule = 'NameDnsFormat'; Old = '"name": "web-01"'; New = '"name": "web_01!"'; Path = 'vms[1].name'; Marker = 'web_01!';
        Text = 'name "web_01!" is not a DNS name*' }
    @{ Rule = 'IpFormat'; Old = '10.0.0.11/24'; New = '10.0.0.11'; Path = 'vms[1].network_config.ip'; Marker = '"ip"'; Text = 'ip "10.0.0.11"*' }
    @{ Rule = 'GatewayOutsideSubnet'; Old = '"gw": "10.0.0.1"'; New = '"gw": "192.168.1.1"'; Path = 'vms[1].network_config.gw'; Marker = '"gw"';
        Text = 'gw 192.168.1.1 is outside the subnet 10.0.0.0/24 of ip 10.0.0.11/24*' }
    @{ Rule = 'SshKeyFormat'; Old = '["ssh-ed25519 AAAA'; New = '["ssh-ed25519 not-base64!AAAA'; Path = 'vms[1].user_config.ssh_public_keys[0]';
        Marker = 'not-base64!'; Text = 'SSH key 1 *' }
    @{ Rule = 'SnapshotNameFormat'; Old = '"dependencies": []'; New = '"template_snapshot_name": "1bad"'; Path = 'vms[1].template_snapshot_name';
        Marker = '1bad'; Text = 'snapshot name "1bad" is refused by Proxmox*' }
    @{ Rule = 'Cycle'; Old = '"is_template": true,'; New = '"is_template": false, "dependencies": ["101"],'; Path = 'vms[1].clone_from_vmid';
        Marker = '"clone_from_vmid": 9000'; Text = 'dependencies and clones form a cycle: 101 -> 9000 -> 101*' }
    @{ Rule = 'CoresRange'; Old = '"name": "web-01",'; New = '"name": "web-01", "cores": 0,'; Path = 'vms[1].cores'; Marker = '"cores": 0';
        Text = 'cores is 0; the number of cores must be from 1 to 8192.' }
    @{ Rule = 'TypeMismatch'; Old = '"name": "web-01",'; New = '"name": "web-01", "memory_mb": "lots",'; Path = 'vms[1].memory_mb';
        Marker = '"lots"'; Text = '*' }
) {
    It 'finds <Rule>' {
        $r = Get-OnlyError $Old $New "$Rule.json"
        $f = $r.Finding
        $line = Get-LineOf $r.Json $Marker
        $f.Rule | Should -Be $Rule
        $f.JsonPath | Should -Be $Path
        $f.Line | Should -Be $line
        $f.File | Should -Be $r.Path
        $f.Message | Should -BeLike ("$([WildcardPattern]::Escape($Path)) (line $line): " + $Text)
        $f.ToString() | Should -BeLike "$($r.Path):$($line):*: error $($Rule): *"
    }
}

Describe 'Test-PhoenixConfig: secrets, inherited values, several files, the host' {
    It 'refuses a plain password and never repeats it' {
        $r = Get-OnlyError $hash 'MyPlainPassw0rd' 'plain.json'
        $r.Finding.Rule | Should -Be 'PasswordHashFormat'
        $r.Finding.JsonPath | Should -Be 'vms[1].user_config.password_hash'
        $r.Finding.Line | Should -Be (Get-LineOf $r.Json 'password_hash')
        ($r.Finding | Format-List * | Out-String) | Should -Not -BeLike '*MyPlainPassw0rd*'
        $r.Finding.Suggestion | Should -BeLike '*openssl passwd -6*'
    }

    It 'points a bad inherited value at its line in vm_defaults' {
        $r = Get-OnlyError '"nameservers": ["10.0.0.13"]' '"nameservers": ["not-an-ip"]' 'inherited.json'
        $r.Finding.Rule | Should -Be 'NameserverFormat'
        $r.Finding.JsonPath | Should -Be 'vm_defaults.network_config.nameservers[0]'
        $r.Finding.Line | Should -Be 2
    }

    It 'finds a VMID used in two files read together' {
        $a = New-TestConfig 'a.json' $base
        $b = New-TestConfig 'b.json' ($base.Replace('"vmid": 9000', '"vmid": 9001').Replace('"clone_from_vmid": 9000', '"clone_from_vmid": 9001'))
        $f = @(Test-PhoenixConfig $a, $b | Where-Object Severity -EQ 'Error')
        $f | Should -HaveCount 1
        $f[0].Rule | Should -Be 'VmIdDuplicate'
        $f[0].File | Should -Be $b
        $f[0].Message | Should -BeLike "vms``[1``].vmid (line *): VMID 101 is used twice: also by vms``[1``].vmid (line * of $a)."
    }

    It 'offline, warns that a clone source outside the file is unknown; with -Session, asks the host' {
        Get-PhoenixHost | Disconnect-PhoenixHost  # no default session: nothing to ask
        $json = $base.Replace('"vmid": 9000', '"vmid": 9100')  # 101 still clones 9000, which only the host has
        $path = New-TestConfig 'host.json' $json
        $offline = @(Test-PhoenixConfig $path)
        $session = Connect-PhoenixHost -Simulator -NoDefault
        try {
            $offline | Should -HaveCount 1
            $offline[0].Rule | Should -Be 'CloneSourceMissing'
            $offline[0].Severity | Should -Be 'Warning'
            $offline[0].JsonPath | Should -Be 'vms[1].clone_from_vmid'
            $offline[0].Line | Should -Be (Get-LineOf $json '"clone_from_vmid": 9000')
            $offline[0].Message | Should -BeLike ('vms`[1`].clone_from_vmid (line *): clone_from_vmid 9000 is no VM of the file and no host was asked; ' +
                'Deploy-PhoenixVm checks that VM 9000 exists on the host before it changes anything.')
            Test-PhoenixConfig $path -Quiet | Should -BeTrue
            Test-PhoenixConfig $path -Session $session | Should -BeNullOrEmpty
            $missing = New-TestConfig 'host2.json' $json.Replace('"clone_from_vmid": 9000', '"clone_from_vmid": 8000')
            $f = Test-PhoenixConfig $missing -Session $session | Where-Object Severity -EQ 'Error'
            $f.Message | Should -BeLike '*clone_from_vmid 8000 points to no VM of the file nor to a VM on the host.'
        }
        finally { $session | Disconnect-PhoenixHost }
    }
}
