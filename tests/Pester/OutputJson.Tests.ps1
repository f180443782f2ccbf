# ConvertTo-Json -Depth 5 of every Phoenix output type: the useful fields, nothing huge, nothing secret.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:node = Start-SimulatorNode
    $example = Join-Path $env:PHOENIX_REPO_ROOT 'examples/phoenix.example.json'
    $script:hash = (Get-Content -Raw $example | ConvertFrom-Json).vm_defaults.user_config.password_hash
    if (-not $hash) { $script:hash = ((Get-Content -Raw $example | ConvertFrom-Json).vms.user_config.password_hash | Where-Object { $_ })[0] }
    $specs = Import-PhoenixConfig $example -WarningAction SilentlyContinue
    $deployed = $specs | Deploy-PhoenixVm -Session $node.Session -WarningAction SilentlyContinue
    $script:outputs = [ordered]@{
        PhoenixSession       = $node.Session
        PhoenixVm            = Get-PhoenixVm -Session $node.Session -VmId 201
        PhoenixSnapshot      = (Get-PhoenixSnapshot -Session $node.Session -VmId 201)[0]
        DeployResult         = $deployed | Where-Object VmId -EQ 201
        VmSpec               = $specs | Where-Object VmId -EQ 201
        ConfigFinding        = (Test-PhoenixConfig (Join-Path $env:PHOENIX_REPO_ROOT 'tests/fixtures/realworld-shape/phoenix_vm_configs.json'))[0]
        CloudInitDocument    = $specs | Where-Object VmId -EQ 201 | ConvertTo-PhoenixCloudInit
        CloudInitResult      = $specs | Where-Object VmId -EQ 202 | Set-PhoenixCloudInit -Session $node.Session -WarningAction SilentlyContinue
        FeatureInfo          = Get-PhoenixFeature -Name docker
        PhoenixFeatureResult = ($specs | Where-Object VmId -EQ 202 | Invoke-PhoenixFeature -Session $node.Session -Force)[0]
    }
    function Json($o) { $o | ConvertTo-Json -Depth 5 -WarningAction SilentlyContinue }
}

AfterAll { Stop-SimulatorNode $node }

Describe 'ConvertTo-Json of the output types' {
    It 'has an object of every type the cmdlets declare' {
        $declared = Get-Command -Module Phoenix | ForEach-Object { $_.OutputType.Name } | Where-Object { $_ -like 'Phoenix.*' } |
            ForEach-Object { $_.Split('.')[-1] } | Sort-Object -Unique
        $missing = $declared | Where-Object { -not $outputs.Contains($_) -and $_ -notlike '*Drift*' -and $_ -notlike '*Comparison*' }
        $missing | Should -BeNullOrEmpty -Because 'every output type is checked here'
    }

    It '<_> stays small and holds no secret, stack trace or reflection dump' -ForEach @(
        'PhoenixSession', 'PhoenixVm', 'PhoenixSnapshot', 'DeployResult', 'VmSpec', 'ConfigFinding', 'CloudInitDocument', 'CloudInitResult',
        'FeatureInfo', 'PhoenixFeatureResult') {
        $o = $outputs[$_]
        $o | Should -Not -BeNullOrEmpty
        $json = Json $o
        $json.Length | Should -BeLessThan 16000
        $json | Should -Not -Match 'StackTrace|TargetSite|FieldPositions|"Connection"'
        if ($_ -ne 'CloudInitDocument') {
            # The rendered user-data is the document's purpose; everywhere else the hash never appears.
            $json.Contains($hash) | Should -BeFalse
        }
        $back = $json | ConvertFrom-Json
        if ($_ -notin 'PhoenixSession', 'FeatureInfo', 'ConfigFinding') { $back.VmId | Should -Be $o.VmId }
    }

    It 'summarizes the session and the spec nested in a result' {
        $vm = Json $outputs.PhoenixVm | ConvertFrom-Json
        $names = @($vm.Session.PSObject.Properties.Name)
        foreach ($n in 'Id', 'HostName', 'Port', 'UserName', 'Node', 'HostKeyFingerprint', 'IsSimulator') { $names | Should -Contain $n }
        $names | Should -Not -Contain 'Connection'
        $names.Count | Should -BeLessThan 15
        $feature = Json $outputs.PhoenixFeatureResult | ConvertFrom-Json
        $feature.Spec.VmId | Should -Be 202
        $feature.Spec.UserConfig.PasswordHash.PSObject.Properties.Name | Should -Be @('IsEmpty')
    }

    It 'pins the shape of DeployResult' {
        $r = Json $outputs.DeployResult | ConvertFrom-Json
        @($r.PSObject.Properties.Name | Sort-Object) | Should -Be @('Changed', 'Changes', 'Duration', 'Errors', 'Name', 'Plan', 'StaleSnapshots', 'Status',
            'StepDurations', 'Steps', 'VmId', 'Warnings')
        $r.VmId | Should -Be 201
        $r.Name | Should -Be 'docker-01'
        $r.Changed | Should -BeTrue
        $r.Changes[0] | Should -Be $outputs.DeployResult.Changes[0]
        @($r.Steps[0].PSObject.Properties.Name | Sort-Object) | Should -Be @('Changed', 'Changes', 'Detail', 'Duration', 'Skipped', 'Step')
        $r.Steps[0].Step | Should -Be 'Clone'
        $r.Duration.TotalSeconds | Should -Be $outputs.DeployResult.Duration.TotalSeconds
        (Json $outputs.DeployResult | ConvertFrom-Json -AsHashtable).Status | Should -Be 0
        ($outputs.DeployResult | ConvertTo-Json -Depth 5 -EnumsAsStrings | ConvertFrom-Json).Status | Should -Be 'Succeeded'
    }
}
