# Deploy-PhoenixVm converges through the desired-state model: qm_options compared as Proxmox means them (an
# extra disk is not allocated again, a second NIC keeps its MAC), deployed three times on the fake host with
# runs 2 and 3 changing nothing; a clone of a snapshot loses the snapshot's description.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    # Changing commands, as the fake host's audit log (commands.log) records them.
    $script:changing = Get-ChangingCommandPattern

    function Get-Config($run, [int] $vmId) { (Invoke-Remote $run.Ssh 'qm', 'config', "$vmId").StdOut }
    function Get-Macs([string] $config) { [regex]::Matches($config, '(?m)^net\d+: \w+=([0-9A-F:]{17})') | ForEach-Object { $_.Groups[1].Value } }

    function New-TestConfig([object[]] $Vms) {
        $path = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-converge-' + [guid]::NewGuid().ToString('n').Substring(0, 8) + '.json')
        $user = @{ username = 'phoenix'; ssh_public_keys = @((Get-TestSecret).Ed25519Key) }
        @{ vm_defaults = @{ user_config = $user }; vms = $Vms } | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $path
        $path
    }
}

Describe 'qm_options deployed three times on the fake host' {
    BeforeAll {
        $script:run = Start-FakeHostSession
        $script:cfg = New-TestConfig @(@{
                vmid = 301; name = 'conv-01'; cores = 2; memory_mb = 2048; disk_size_gb = 40; network_bridge = 'vmbr0'
                qm_options = [ordered]@{
                    scsi1       = 'local-lvm:4'
                    net1        = 'virtio,bridge=vmbr0,firewall=1'
                    cpu         = 'host'
                    balloon     = '1024'
                    tags        = 'Web;prod'
                    description = 'Phoenix test VM: converged'
                }
            })
        $script:deploy = { Import-PhoenixConfig -Path $cfg | Deploy-PhoenixVm -AgentTimeoutSec 60 -WarningAction SilentlyContinue }
        $script:r1 = & $deploy
        $script:conf1 = Get-Config $run 301
        $script:audit1 = @(Get-Audit $run.Fake)
        $script:r2 = & $deploy
        $script:audit2 = @(Get-Audit $run.Fake)
        $script:r3 = & $deploy
        $script:audit3 = @(Get-Audit $run.Fake)
        $script:conf3 = Get-Config $run 301
    }
    AfterAll {
        Stop-FakeHostSession $run
        Remove-Item -LiteralPath $cfg -ErrorAction Ignore
    }

    It 'sets every option in one qm set on the first run' {
        $r1.Status | Should -Be 'Succeeded'
        $sets = @($audit1 | Where-Object { $_ -match '^qm set 301 ' -and $_ -notmatch '--cicustom' })
        $sets | Should -HaveCount 1
        $sets[0] | Should -Match '--scsi1 local-lvm:4'
        $sets[0] | Should -Match '--net1 ''virtio,bridge=vmbr0,firewall=1'''
        $conf1 | Should -Match '(?m)^scsi1: local-lvm:vm-301-disk-\d+,size=4G$'
        $conf1 | Should -Match '(?m)^cpu: host$'
        $conf1 | Should -Match '(?m)^balloon: 1024$'
        $conf1 | Should -Match '(?m)^tags: prod;web$'
        $conf1 | Should -Match '(?m)^description: Phoenix test VM%3A converged$'
        $audit1 | Should -Contain 'qm resize 301 scsi0 40G'
    }

    It 'changes nothing on runs 2 and 3, and the audit log shows no changing command' {
        $r2.Status | Should -Be 'Succeeded'
        $r3.Status | Should -Be 'Succeeded'
        $r2.Changed | Should -BeFalse
        $r3.Changed | Should -BeFalse
        $new = @($audit3 | Select-Object -Skip $audit1.Count)
        $new.Count | Should -BeGreaterThan 0
        @($new | Where-Object { $_ -match $changing }) | Should -Be @()
    }

    It 'allocates no second disk and keeps both MACs' {
        $conf3 | Should -Not -Match '(?m)^unused\d+:'
        @([regex]::Matches($conf3, '(?m)^scsi\d+:')).Count | Should -Be 2
        @(Get-Macs $conf3) | Should -HaveCount 2
        Get-Macs $conf3 | Should -Be @(Get-Macs $conf1)
    }

    It 'reads the VM''s configuration once per re-run: the config that converges it serves its cloud-init too' {
        $rerun = @($audit3 | Select-Object -Skip $audit2.Count)
        @($rerun | Where-Object { $_ -eq 'qm config 301' }) | Should -HaveCount 1
    }
}

Describe 'A VM whose config changes by hand with qm set' {
    BeforeAll {
        $script:run = Start-FakeHostSession
        $script:cfg = New-TestConfig @(@{ vmid = 302; name = 'conv-02'; cores = 2; disk_size_gb = 40; qm_options = @{ balloon = '512' } })
        $null = Import-PhoenixConfig -Path $cfg | Deploy-PhoenixVm -AgentTimeoutSec 60 -WarningAction SilentlyContinue
    }
    AfterAll {
        Stop-FakeHostSession $run
        Remove-Item -LiteralPath $cfg -ErrorAction Ignore
    }

    It 'sets back what differs, and warns about a disk it cannot shrink' {
        $null = Invoke-Remote $run.Ssh 'qm', 'set', '302', '--cores', '3', '--balloon', '256'
        $null = Invoke-Remote $run.Ssh 'qm', 'resize', '302', 'scsi0', '48G'
        $before = @(Get-Audit $run.Fake).Count
        $r = Import-PhoenixConfig -Path $cfg | Deploy-PhoenixVm -AgentTimeoutSec 60 -WarningVariable w -WarningAction SilentlyContinue
        $r.Changes | Should -Contain 'set cores 2'
        $r.Changes | Should -Contain 'set balloon 512'
        @($w | Where-Object { "$_" -match 'disk_size_gb is left as it is: .*Proxmox cannot shrink a disk' }) | Should -HaveCount 1
        @(Get-Audit $run.Fake | Select-Object -Skip $before | Where-Object { $_ -match '^qm resize' }) | Should -Be @()
    }
}

Describe 'A clone of another VM''s snapshot' {
    BeforeAll {
        $script:node = Start-SimulatorNode
        $script:cfg = New-TestConfig @(
            @{ vmid = 401; name = 'gold-01'; template_snapshot_name = 'golden' },
            @{ vmid = 402; name = 'copy-01'; clone_from_vmid = 401 },
            @{ vmid = 403; name = 'copy-02'; clone_from_vmid = 401; qm_options = @{ description = 'copy two' } })
        $script:r = Import-PhoenixConfig -Path $cfg | Deploy-PhoenixVm -AgentTimeoutSec 30 -WarningAction SilentlyContinue
    }
    AfterAll {
        Stop-SimulatorNode $node
        Remove-Item -LiteralPath $cfg -ErrorAction Ignore
    }

    It 'does not keep the description the snapshot gave it, and takes the config''s own' {
        $r.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        ($r | Where-Object VmId -EQ 402).Changes | Should -Contain 'deleted description'
        Invoke-OnNode $node 'qm', 'config', '402' | Should -Not -Match '(?m)^description:'
        Invoke-OnNode $node 'qm', 'config', '403' | Should -Match '(?m)^description: copy two$'
        $again = Import-PhoenixConfig -Path $cfg | Deploy-PhoenixVm -AgentTimeoutSec 30 -WarningAction SilentlyContinue
        $again.Changed | Should -Be @($false, $false, $false)
    }
}

Describe 'A feature added after the golden snapshot' {
    BeforeAll {
        $script:run = Start-FakeHostSession
        $script:featureDir = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-features-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
        $null = New-Item -ItemType Directory $featureDir
        # 'second' runs after the golden snapshot and lasts a second, so the feature record it leaves is written in a
        # later second than the snapshot's snaptime (both are whole seconds: a record written within the snapshot's own
        # second cannot be told from one written just before it, and is taken as older).
        foreach ($name in 'first', 'second') {
            $wait = if ($name -eq 'second') { "sleep 1`n" } else { '' }
            Set-Content -Path (Join-Path $featureDir "feature_install_$name.sh") -Value "#!/bin/bash`n# Description: test feature $name`n${wait}echo $name`necho PHOENIX_CHANGED=1"
        }
        $script:v1 = New-TestConfig @(@{ vmid = 501; name = 'gold-02'; features = @('first'); template_snapshot_name = 'golden' })
        $script:v2 = New-TestConfig @(@{ vmid = 501; name = 'gold-02'; features = @('first', 'second'); template_snapshot_name = 'golden' })
        function Deploy([string] $Path, [switch] $Refresh) {
            Import-PhoenixConfig -Path $Path -FeaturePath $featureDir |
                Deploy-PhoenixVm -FeaturePath $featureDir -AgentTimeoutSec 30 -RefreshSnapshot:$Refresh -WarningVariable script:w -WarningAction SilentlyContinue
        }
        function Get-Golden { (Invoke-Remote $run.Ssh 'qm', 'config', '501', '--snapshot', 'golden').StdOut }
        $script:r1 = Deploy $v1
        $script:g1 = Get-Golden
    }
    AfterAll {
        Stop-FakeHostSession $run
        Remove-Item -LiteralPath $v1, $v2 -ErrorAction Ignore
        Remove-Item -Recurse -Force $featureDir -ErrorAction Ignore
    }

    It 'runs on the next deploy, which warns that the snapshot is older than the VM and keeps it' {
        $r1.Status | Should -Be 'Succeeded'
        $r = Deploy $v2
        $r.Status | Should -Be 'Succeeded'
        $r.Changes | Should -Contain 'feature second: changed'
        $r.StaleSnapshots | Should -Be @('golden')
        @($w | Where-Object { "$_" -match "features ran after snapshot 'golden' was taken, so the snapshot is older than the VM.*-RefreshSnapshot" }) |
            Should -HaveCount 1
        Get-Golden | Should -Be $g1
    }

    It 'is in the snapshot once -RefreshSnapshot takes it again, and a further run changes nothing' {
        $before = @(Get-Audit $run.Fake).Count
        $r = Deploy $v2 -Refresh
        $r.Changes | Should -Be @("snapshot 'golden' taken again (-RefreshSnapshot)")
        $r.StaleSnapshots | Should -BeNullOrEmpty
        @(Get-Audit $run.Fake | Select-Object -Skip $before | Where-Object { $_ -match '^qm (delsnapshot|snapshot) 501' }) |
            Should -Be @('qm delsnapshot 501 golden', "qm snapshot 501 golden --description 'Phoenix: after features'")
        $again = Deploy $v2
        $again.Changed | Should -BeFalse
        $w | Should -BeNullOrEmpty
    }

    It 'is left alone by a further run with -RefreshSnapshot once nothing is stale' {
        $g = Get-Golden
        $before = @(Get-Audit $run.Fake).Count
        $r = Deploy $v2 -Refresh
        $r.Status | Should -Be 'Succeeded'
        $r.Changed | Should -BeFalse
        @(Get-Audit $run.Fake | Select-Object -Skip $before | Where-Object { $_ -match '^qm (delsnapshot|snapshot) 501' }) | Should -BeNullOrEmpty
        Get-Golden | Should -Be $g
    }
}
