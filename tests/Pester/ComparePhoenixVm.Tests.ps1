# Compare-PhoenixVm on the fake host: a VM drifted by hand lists exactly the hand-made differences, with the
# action Deploy would take; after Deploy it lists nothing; the report only reads; its JSON is small.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    # The feature record is read with cat, started with --synchronous 0 and its end taken with exec-status.
    $script:readOnly = '^(qm (config|status|listsnapshot|guest cmd \d+ ping|guest exec \d+ (--synchronous 0 )?-- cat|guest exec-status \d+ \d+$)|' +
        'pvesm (path|status)|sha256sum|pvesh get)'
    $script:featureDir = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-features-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $null = New-Item -ItemType Directory $featureDir
    Set-Content -Path (Join-Path $featureDir 'feature_install_marker.sh') -Value "#!/bin/bash`n# Description: test feature`necho PHOENIX_CHANGED=1"
    $script:cfg = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-compare-' + [guid]::NewGuid().ToString('n').Substring(0, 8) + '.json')
    @{
        vm_defaults = @{ user_config = @{ username = 'phoenix'; ssh_public_keys = @((Get-TestSecret).Ed25519Key) } }
        vms         = @(@{
                vmid = 601; name = 'drift-01'; cores = 2; memory_mb = 2048; features = @('marker'); snapshots = @{ 'post-features' = $true }
                qm_options = @{ balloon = '1024'; tags = 'web'; scsi1 = 'local-lvm:2' }
            })
    } | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $cfg
    function Compare-Drift { Import-PhoenixConfig -Path $cfg -FeaturePath $featureDir | Compare-PhoenixVm -FeaturePath $featureDir }
    function Deploy { Import-PhoenixConfig -Path $cfg -FeaturePath $featureDir | Deploy-PhoenixVm -FeaturePath $featureDir -AgentTimeoutSec 60 -WarningAction SilentlyContinue }

    $script:run = Start-FakeHostSession
    $script:first = Deploy
}

AfterAll {
    Stop-FakeHostSession $run
    Remove-Item -LiteralPath $cfg -ErrorAction Ignore
    Remove-Item -Recurse -Force $featureDir -ErrorAction Ignore
}

Describe 'Compare-PhoenixVm' {
    It 'lists nothing for a VM just deployed' {
        $first.Status | Should -Be 'Succeeded'
        @(Compare-Drift) | Should -HaveCount 0
    }

    It 'lists exactly the differences made by hand, with what Deploy would do, and only reads' {
        $null = Invoke-Remote $run.Ssh 'qm', 'set', '601', '--cores', '3', '--tags', 'web;hand', '--delete', 'balloon'
        $null = Invoke-Remote $run.Ssh 'qm', 'delsnapshot', '601', 'post-features'
        $before = @(Get-Audit $run.Fake).Count

        $drift = @(Compare-Drift)

        ($drift | ForEach-Object { "$($_.Field)|$($_.Wanted)|$($_.Actual)|$($_.Action)" }) | Sort-Object | Should -Be @(
            'cores|2|3|Set'
            'qm_options.balloon|1024||Set'
            'qm_options.tags|web|hand;web|Set'
            'snapshots.post-features|taken||Snapshot'
        )
        $drift.VmId | Sort-Object -Unique | Should -Be 601
        $drift.Name | Sort-Object -Unique | Should -Be 'drift-01'
        $reads = @(Get-Audit $run.Fake | Select-Object -Skip $before)
        $reads.Count | Should -BeGreaterThan 0
        @($reads | Where-Object { $_ -notmatch $readOnly }) | Should -Be @()
        @($reads | Where-Object { $_ -eq 'qm config 601' }) | Should -HaveCount 2   # the model's and cloud-init's
        @($reads | Where-Object { $_ -match '^qm guest exec 601 --synchronous 0 -- cat ' }) | Should -HaveCount 1
        @($reads | Where-Object { $_ -match '^qm guest exec-status 601 \d+$' }).Count | Should -BeGreaterOrEqual 1
    }

    It 'gives CI the same facts as small JSON' {
        $json = Compare-Drift | ConvertTo-Json -Compress
        $json.Length | Should -BeLessThan 1500
        $o = $json | ConvertFrom-Json
        $o[0].PSObject.Properties.Name | Should -Be @('VmId', 'Name', 'Field', 'Wanted', 'Actual', 'Action', 'Reason', 'Node')
    }

    It 'lists nothing once Deploy has run' {
        $r = Deploy
        $r.Status | Should -Be 'Succeeded'
        $r.Changed | Should -BeTrue
        @(Compare-Drift) | Should -HaveCount 0
    }

    It 'shows the changed field, cloud-init snippet and feature context of an edited config' {
        $cfg2 = $cfg -replace '\.json$', '-2.json'
        $json = Get-Content -Raw $cfg | ConvertFrom-Json
        $json.vms[0].memory_mb = 3072
        $json.vm_defaults.user_config.ssh_public_keys = @((Get-TestSecret).Ed25519Key, (Get-TestSecret).EcdsaKey)
        $json | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $cfg2
        try {
            $d2 = @(Import-PhoenixConfig -Path $cfg2 -FeaturePath $featureDir | Compare-PhoenixVm -FeaturePath $featureDir)
            $d2.Field | Sort-Object | Should -Be @('cloud-init.user-data', 'features.marker', 'memory_mb')
            ($d2 | Where-Object Field -EQ 'features.marker').Action | Should -Be 'RunFeature'
            $ci = $d2 | Where-Object Field -EQ 'cloud-init.user-data'
            $ci.Action | Should -Be 'Regenerate'
            $ci.Wanted | Should -Match '^sha256 [0-9a-f]{64}$'
            $ci.Actual | Should -Match '^sha256 [0-9a-f]{64}$'
            $ci.Wanted | Should -Not -Be $ci.Actual
        } finally { Remove-Item -LiteralPath $cfg2 -ErrorAction Ignore }
    }
}
