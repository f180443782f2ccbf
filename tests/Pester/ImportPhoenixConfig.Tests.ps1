BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:realWorld = Join-Path $env:PHOENIX_REPO_ROOT 'tests/fixtures/realworld-shape/phoenix_vm_configs.json'
    $secrets = Get-TestSecret
    $script:key = $secrets.Ed25519Key
    $script:hash = $secrets.PasswordHash

    # Writes a config into TestDrive and returns its full path.
    function New-TestConfig([string] $Name, [string] $Json) {
        $path = Join-Path $TestDrive $Name
        Set-Content -LiteralPath $path -Value $Json -NoNewline
        return $path
    }

    # The 1-based line of the first line of $Json that contains $Marker.
    function Get-LineOf([string] $Json, [string] $Marker) {
        $lines = $Json -split "`n"
        for ($i = 0; $i -lt $lines.Count; $i++) { if ($lines[$i].Contains($Marker)) { return $i + 1 } }
        throw "marker $Marker not found"
    }

    $script:good = @"
{
  "vm_defaults": { "cores": 2, "memory_mb": 2048, "storage_pool": "local-lvm" },
  "vms": [
    {
      "vmid": 101,
      "name": "web-01",
      "network_config": { "ip": "10.0.0.11/24", "gw": "10.0.0.1", "nameservers": ["10.0.0.13"] },
      "user_config": { "username": "phoenix", "password_hash": "$hash", "ssh_public_keys": ["$key"] },
      "custom_block": { "a": 1 }
    }
  ]
}
"@
}

Describe 'Import-PhoenixConfig on the real-world file' {
    BeforeAll {
        $script:vms = @(Import-PhoenixConfig $realWorld -WarningVariable script:warnings -WarningAction SilentlyContinue -ErrorVariable script:errors)
    }

    It 'emits the 3 VMs as VmSpec objects, in file order, with no error' {
        $vms | Should -HaveCount 3
        $errors | Should -HaveCount 0
        $vms | ForEach-Object { $_ | Should -BeOfType (Get-PhoenixType Phoenix.Engine.Config.VmSpec) }
        $vms.VmId | Should -Be @(9000, 1001, 1002)
        $vms.Name | Should -Be @('ubuntu-2404-cloud-template', 'Registry', 'buildagent')
    }

    It 'merges vm_defaults where the VM sets nothing and keeps what it sets' {
        $vms[0].Cores | Should -Be 2
        $vms[0].MemoryMb | Should -Be 4096
        $vms[0].DiskSizeGb | Should -Be 50
        $vms[0].StoragePool | Should -Be 'labPool-vm-disks'
        $vms[0].NetworkBridge | Should -Be 'vmbr0'
        $vms[0].Template | Should -Be 'ubuntu-noble-standard'
        $vms[1].Cores | Should -Be 4
        $vms[1].MemoryMb | Should -Be 8192
        $vms[1].DiskSizeGb | Should -Be 32
        $vms[1].StoragePool | Should -Be 'labPool-vm-disks'
        $vms[2].MemoryMb | Should -Be 4096
        $vms[2].DiskSizeGb | Should -Be 64
    }

    It 'maps the known fields' {
        $vms[0].IsTemplate | Should -BeTrue
        $vms[0].TemplateImage | Should -Be 'noble-server-cloudimg-amd64.img'
        $vms[0].NetworkConfig.Dhcp | Should -BeTrue
        $vms[0].NetworkConfig.Nameservers | Should -Be @('10.20.0.53')
        $vms[1].CloneFromVmId | Should -Be 9000
        $vms[1].StartAtBoot | Should -BeTrue
        $vms[1].BootOrder | Should -Be 4
        $vms[1].BootDelay | Should -Be 2
        $vms[1].Features | Should -Be @('base_setup', 'trusted_ca', 'step_cli', 'docker')
        $vms[1].Dependencies | Should -Be @('102')
        $vms[1].NetworkConfig.Ip | Should -Be '10.20.0.71/24'
        $vms[1].NetworkConfig.Gateway | Should -Be '10.20.0.1'
        $vms[1].UserConfig.Username | Should -Be 'ops_admin'
    }

    It 'keeps the fields Phoenix does not know, nested and in file order' {
        @($vms[1].Extra.Properties().Name) | Should -Be @('registry_role', 'traefik_service', 'volumes', 'docker_stacks', 'firewall')
        $vms[1].Extra['traefik_service']['port'].ToString() | Should -Be '5000'
        $vms[1].Extra['volumes'][1]['mount_point'].ToString() | Should -Be '/etc/ssl/lab-ca'
        @($vms[2].Extra.Properties().Name) | Should -Contain 'trigger_sync_on_completion'
    }

    It 'warns about the LXC dependency, the template snapshot and the features it cannot find' {
        $text = $warnings | ForEach-Object Message
        $text | Should -HaveCount 6
        $text[0] | Should -Be ("$((Resolve-Path $realWorld).ProviderPath):16:39: vms[0].template_snapshot_name (line 16): template_snapshot_name " +
            ("`"pristine_base_state`" is ignored: VM 9000 is a template, and a template holds no snapshot (clones are made from the template " +
                "itself). Fix: Remove template_snapshot_name from the template, or drop is_template to build a golden VM instead."))
        ($text -like '*vms`[1`].dependencies`[0`] (line 43): dependency 102 is not a VM of this file*') | Should -HaveCount 1
        ($text -like "*feature 'trusted_ca' is not among the bundled features*Deploy-PhoenixVm and Invoke-PhoenixFeature look for it in their own -FeaturePath folders*") |
            Should -HaveCount 2
    }
}

Describe 'Import-PhoenixConfig input forms' {
    It 'takes a path string from the pipeline' {
        ($realWorld | Import-PhoenixConfig -WarningAction SilentlyContinue).VmId | Should -Be @(9000, 1001, 1002)
    }

    It 'takes files from Get-ChildItem through their PSPath' {
        (Get-Item $realWorld | Import-PhoenixConfig -WarningAction SilentlyContinue).VmId | Should -Be @(9000, 1001, 1002)
    }

    It 'takes an object with a Path property' {
        ([pscustomobject]@{ Path = $realWorld } | Import-PhoenixConfig -WarningAction SilentlyContinue).VmId | Should -Be @(9000, 1001, 1002)
    }

    It 'expands wildcards and takes brackets literally with -LiteralPath' {
        $dir = Join-Path $TestDrive 'wild'
        $null = New-Item -ItemType Directory $dir
        Set-Content -LiteralPath (Join-Path $dir 'cfg[1].json') -Value $good -NoNewline
        (Import-PhoenixConfig -LiteralPath (Join-Path $dir 'cfg[1].json')).VmId | Should -Be 101
        (Import-PhoenixConfig (Join-Path $dir 'cfg*.json')).VmId | Should -Be 101
        Push-Location $dir
        try { (Import-PhoenixConfig -LiteralPath './cfg[1].json').SourceFile | Should -Be (Join-Path $dir 'cfg[1].json') }
        finally { Pop-Location }
    }

    It 'reports a missing file as FileNotFound naming the path' {
        $missing = Join-Path $TestDrive 'nope.json'
        $out = Import-PhoenixConfig $missing -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'FileNotFound,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $missing
        $err[0].Exception.Message | Should `
            -Be "$($missing): Config file '$missing' does not exist. Fix: Check the path; relative paths are taken from the current directory."
    }

    It 'reports a wildcard that matches nothing' {
        Import-PhoenixConfig (Join-Path $TestDrive 'none-*.json') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'FileNotFound,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand'
        $err[0].Exception.Message | Should -BeLike "*No config file matches '*none-`*.json'*"
    }
}

Describe 'Import-PhoenixConfig with errors' {
    It 'emits no VM from a file with an error, writes one error record per finding, and still emits a good file' {
        $bad = @"
{
  "vms": [
    { "vmid": 99, "name": "ok-name" },
    {
      "vmid": 102,
      "name": "db-01",
      "network_config": { "ip": "10.0.0.12/24", "gw": "10.0.1.1" }
    }
  ]
}
"@
        $badPath = New-TestConfig 'bad.json' $bad
        $goodPath = New-TestConfig 'good.json' $good
        $out = Import-PhoenixConfig $badPath, $goodPath -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $out.VmId | Should -Be 101
        $err | Should -HaveCount 2
        $err[0].FullyQualifiedErrorId | Should -Be 'VmIdRange,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be 99
        $err[0].Exception.Message | Should `
            -Be ("$($badPath):3:15: vms[0].vmid (line 3): VMID 99 is outside 100..999999999; Proxmox refuses it with `"vmid: invalid format - " +
                "value does not look like a valid VM ID`". Fix: Use a number from 100 to 999999999.")
        $gwLine = Get-LineOf $bad '"gw"'
        $err[1].FullyQualifiedErrorId | Should -Be 'GatewayOutsideSubnet,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand'
        $err[1].TargetObject | Should -Be 102
        $err[1].Exception.Message | Should `
            -BeLike ("$($badPath):$($gwLine):*: vms``[1``].network_config.gw (line $gwLine): gw 10.0.1.1 is outside the subnet 10.0.0.0/24 of ip " +
                "10.0.0.12/24*Fix: *")
        $err[1].ErrorDetails.RecommendedAction | Should -Be 'Use a gateway inside 10.0.0.0/24, or fix the prefix length of ip.'
    }

    It 'reports broken JSON with its line and column' {
        $path = New-TestConfig 'broken.json' "{`n  `"vms`": [`n    { `"vmid`": 101 `"name`": `"x`" }`n  ]`n}"
        Import-PhoenixConfig $path -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'JsonSyntax,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand'
        $err[0].Exception.Message | Should -BeLike "$($path):3:*: *The file is not valid JSON*"
    }

    It 'refuses a plain-text password without repeating it anywhere' {
        $secret = 'Hunter2-Plaintext!'
        $json = $good.Replace($hash, $secret)
        $path = New-TestConfig 'plain.json' $json
        $all = Import-PhoenixConfig $path -Verbose -ErrorVariable err -ErrorAction SilentlyContinue 4>&1 5>&1 3>&1
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'PasswordHashFormat,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand'
        $line = Get-LineOf $json 'password_hash'
        $err[0].Exception.Message | Should `
            -BeLike ("*:$($line):*: vms``[0``].user_config.password_hash (line $line): password_hash is not a crypt hash (it looks like a " +
                "plain-text password); plain passwords are refused. Fix: *mkpasswd -m sha-512*")
        ($err | Out-String) | Should -Not -BeLike "*$secret*"
        ($all | Out-String) | Should -Not -BeLike "*$secret*"
        ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) | Should -Not -BeNullOrEmpty
        $all | Where-Object { $_ -is (Get-PhoenixType Phoenix.Engine.Config.VmSpec) } | Should -BeNullOrEmpty
    }

    It 'turns a missing feature into an error once feature folders are given' {
        $feat = Join-Path $TestDrive 'features'
        $null = New-Item -ItemType Directory $feat -Force
        Set-Content (Join-Path $feat 'feature_install_trusted_ca.sh') "#!/bin/bash`n"
        $out = Import-PhoenixConfig $realWorld -FeaturePath $feat -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 2
        $err | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be 'FeatureNotFound,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand' }
        $err[0].Exception.Message | Should -BeLike "*vms``[1``].features``[2``] (line 38): feature 'step_cli' is found in no feature folder*"
        Set-Content (Join-Path $feat 'feature_install_step_cli.sh') "#!/bin/bash`n"
        (Import-PhoenixConfig $realWorld -FeaturePath $feat -WarningAction SilentlyContinue).VmId | Should -Be @(9000, 1001, 1002)
    }

    It 'stops on a -FeaturePath folder that does not exist' {
        { Import-PhoenixConfig $realWorld -FeaturePath (Join-Path $TestDrive 'no-such-folder') -ErrorAction Stop } |
            Should -Throw -ErrorId 'FeatureFolderNotFound,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand'
    }
}

Describe 'VmSpec display' {
    It 'never shows the password hash, in a table or a list' {
        $spec = Import-PhoenixConfig (New-TestConfig 'display.json' $good)
        $spec.UserConfig.PasswordHash.Reveal() | Should -Be $hash
        $table = $spec | Format-Table | Out-String -Width 300
        $list = $spec | Format-List | Out-String -Width 300
        $all = $spec | Format-List * | Out-String -Width 300
        foreach ($text in $table, $list, $all, $spec.ToString()) { $text | Should -Not -BeLike "*Ph0enixSaltX*" }
        $table | Should -Match '101\s+web-01\s+False\s+2\s+2048\s+10\.0\.0\.11/24'
        $list | Should -Match 'UserConfig\s+: phoenix \(1 SSH key, password hash \*{8}\)'
        $list | Should -Match 'Extra\s+: custom_block'
    }
}

Describe 'Import-PhoenixConfig and a clone source outside the file' {
    BeforeAll {
        Get-PhoenixHost | Disconnect-PhoenixHost  # start offline: no default session
        $script:clones = $good.Replace('"name": "web-01",', '"name": "web-01", "clone_from_vmid": 9000,')
        $script:missing = $good.Replace('"name": "web-01",', '"name": "web-01", "clone_from_vmid": 8000,')
    }
    AfterEach { Get-PhoenixHost | Disconnect-PhoenixHost }

    It 'offline, warns that the source is unknown and still emits the VM' {
        $path = New-TestConfig 'offline.json' $missing
        $vm = Import-PhoenixConfig $path -WarningVariable warn -WarningAction SilentlyContinue -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -BeNullOrEmpty
        $vm.VmId | Should -Be 101
        $warn | Should -HaveCount 1
        "$($warn[0])" | Should -BeLike "*clone_from_vmid 8000 is no VM of the file and no host was asked; Deploy-PhoenixVm checks that VM 8000 exists*"
    }

    It 'uses the connected default session: a template on the host is fine, a missing one is an error' {
        $null = Connect-PhoenixHost -Simulator
        $vm = Import-PhoenixConfig (New-TestConfig 'on-host.json' $clones) -WarningVariable warn -WarningAction SilentlyContinue
        $vm.VmId | Should -Be 101
        $warn | Should -BeNullOrEmpty
        $none = Import-PhoenixConfig (New-TestConfig 'not-on-host.json' $missing) -ErrorVariable err -ErrorAction SilentlyContinue
        $none | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'CloneSourceMissing,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand'
        $err[0].Exception.Message | Should -BeLike '*clone_from_vmid 8000 points to no VM of the file nor to a VM on the host.*'
    }

    It 'resolves a template name to one template on the default session; none or several is an error naming them' {
        $node = Start-SimulatorNode
        try {
            foreach ($t in @{ 9100 = 'noble'; 9101 = 'jammy'; 9102 = 'jammy' }.GetEnumerator()) {
                $null = Invoke-OnNode $node 'qm', 'clone', '9000', "$($t.Key)", '--name', $t.Value
                $null = Invoke-OnNode $node 'qm', 'template', "$($t.Key)"
            }
            $named = { param($name) $good.Replace('"name": "web-01",', "`"name`": `"web-01`", `"template`": `"$name`",") }
            $vm = Import-PhoenixConfig (New-TestConfig 'named-one.json' (& $named 'noble')) -WarningVariable warn -WarningAction SilentlyContinue
            $vm.VmId | Should -Be 101
            $warn | Should -BeNullOrEmpty
            foreach ($case in @{ Name = 'jammy'; Text = "*template `"jammy`" names 2 templates on the cluster: 9101, 9102, so Phoenix cannot tell which to clone.*" },
                @{ Name = 'focal'; Text = "*template `"focal`" names no template of the config or the cluster; the templates there are *`"noble`" (9100)*" }) {
                $none = Import-PhoenixConfig (New-TestConfig "named-$($case.Name).json" (& $named $case.Name)) -ErrorVariable err -ErrorAction SilentlyContinue
                $none | Should -BeNullOrEmpty
                $err | Should -HaveCount 1
                $err[0].FullyQualifiedErrorId | Should -Be 'TemplateNameUnresolved,Phoenix.PowerShell.Commands.ImportPhoenixConfigCommand'
                $err[0].Exception.Message | Should -BeLike $case.Text
                $err[0].TargetObject | Should -Be 101
            }
            # Test-PhoenixConfig asks the same, with -Session too.
            $f = @(Test-PhoenixConfig (New-TestConfig 'named-test.json' (& $named 'jammy')) -Session $node.Session)
            $f | Should -HaveCount 1
            $f[0].Rule | Should -Be 'TemplateNameUnresolved'
            $f[0].Severity | Should -Be 'Error'
        } finally { Stop-SimulatorNode $node }
        Get-PhoenixHost | Disconnect-PhoenixHost
        $offline = Import-PhoenixConfig (New-TestConfig 'named-offline.json' (& $named 'noble')) -WarningVariable warn -WarningAction SilentlyContinue
        $offline.VmId | Should -Be 101
        "$warn" | Should -BeLike '*template "noble" names no template of the config, and no host was asked; Deploy-PhoenixVm looks for it on the cluster*'
    }

    It 'lets Deploy-PhoenixVm check an offline-imported source on the host before it changes anything' {
        $spec = Import-PhoenixConfig (New-TestConfig 'deploy-missing.json' $missing) -WarningAction SilentlyContinue
        $node = Start-SimulatorNode
        try {
            $r = $spec | Deploy-PhoenixVm -Session $node.Session -ErrorVariable err -ErrorAction SilentlyContinue
            $r.Status | Should -Be 'Failed'
            $err[0].Exception.Message | Should -Be 'VM 101 (web-01) is to be cloned from VM 8000, which does not exist on the host.'
            Invoke-OnNode $node 'qm', 'list' | Should -Not -Match '\b101\b'
        }
        finally { Stop-SimulatorNode $node }
    }
}

Describe 'Deploy-PhoenixVm and feature folders' {
    It 'finds every feature before it changes anything, and names the VM, the feature and the folders searched' {
        $spec = Import-PhoenixConfig (New-TestConfig 'feat.json' $good.Replace('"name": "web-01",', '"name": "web-01", "features": ["hello_x"],')) `
            -WarningVariable warn -WarningAction SilentlyContinue
        "$($warn[0])" | Should -BeLike "*feature 'hello_x' is not among the bundled features*Deploy-PhoenixVm and Invoke-PhoenixFeature look for it in their own -FeaturePath folders*"
        $node = Start-SimulatorNode -NoDefault
        try {
            { $spec | Deploy-PhoenixVm -Session $node.Session -ErrorAction Stop } |
                Should -Throw -ErrorId 'FeatureNotFound,Phoenix.PowerShell.Commands.DeployPhoenixVmCommand' -ExpectedMessage "VM 101 (web-01) needs feature 'hello_x', which is in none of the feature folders (*). Nothing was deployed."
            Invoke-OnNode $node 'qm', 'list' | Should -Not -Match '\b101\b'
            $feat = Join-Path $TestDrive 'deploy-features'
            $null = New-Item -ItemType Directory $feat -Force
            Set-Content (Join-Path $feat 'feature_install_hello_x.sh') "#!/bin/sh`necho hi"
            $r = $spec | Deploy-PhoenixVm -Session $node.Session -FeaturePath $feat -WhatIf
            $r | Should -BeNullOrEmpty
        }
        finally { Stop-SimulatorNode $node }
    }
}
