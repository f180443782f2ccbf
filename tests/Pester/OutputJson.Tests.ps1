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
        VmDrift              = $null
    }
    # The drift report of a config that wants VM 201 with other cores than it has.
    $drifted = Get-Content -Raw $example | ConvertFrom-Json
    ($drifted.vms | Where-Object vmid -EQ 201).cores = 6
    $driftedPath = Join-Path $TestDrive 'drifted.json'
    $drifted | ConvertTo-Json -Depth 20 | Set-Content $driftedPath
    $outputs.VmDrift = Import-PhoenixConfig $driftedPath -WarningAction SilentlyContinue | Where-Object VmId -EQ 201 |
        Compare-PhoenixVm -Session $node.Session | Where-Object Field -EQ 'cores'

    # Every value in an object's JSON that ConvertTo-Json would write unreadably: a TimeSpan (a dozen tick fields)
    # or an enum (a bare number). Walks what ConvertTo-Json -Depth 5 walks.
    function Find-RawValue($Value, [string] $Path, [int] $Depth = 0) {
        if ($null -eq $Value -or $Depth -gt 5) { return }
        if ($Value -is [psobject]) { $Value = $Value.PSObject.BaseObject }
        if ($Value -is [enum] -or $Value -is [timespan]) { "$Path ($($Value.GetType().Name))"; return }
        if ($Value -is [string] -or $Value.GetType().IsPrimitive -or $Value -is [datetime] -or $Value -is [decimal]) { return }
        if ($Value -is [System.Collections.IDictionary]) {
            foreach ($k in @($Value.Keys)) { Find-RawValue $Value[$k] "$Path[$k]" ($Depth + 1) }
            return
        }
        if ($Value -is [System.Collections.IList]) {
            $i = 0
            foreach ($item in $Value) { Find-RawValue $item "$Path[$i]" ($Depth + 1); $i++ }
            return
        }
        if ($Value -is [System.Collections.IEnumerable]) { return }
        foreach ($p in $Value.PSObject.Properties) {
            $v = try { $p.Value } catch { $null }
            Find-RawValue $v "$Path.$($p.Name)" ($Depth + 1)
        }
    }
    function Json($o) { $o | ConvertTo-Json -Depth 5 -WarningAction SilentlyContinue }
}

AfterAll { Stop-SimulatorNode $node }

Describe 'ConvertTo-Json of the output types' {
    It 'has an object of every type the cmdlets declare' {
        $declared = Get-Command -Module Phoenix | ForEach-Object { $_.OutputType.Name } | Where-Object { $_ -like 'Phoenix.*' } |
            ForEach-Object { $_.Split('.')[-1] } | Sort-Object -Unique
        $missing = $declared | Where-Object { -not $outputs.Contains($_) -and $_ -notlike '*Comparison*' }
        $missing | Should -BeNullOrEmpty -Because 'every output type is checked here'
    }

    It '<_> stays small and holds no secret, stack trace or reflection dump' -ForEach @(
        'PhoenixSession', 'PhoenixVm', 'PhoenixSnapshot', 'DeployResult', 'VmSpec', 'ConfigFinding', 'CloudInitDocument', 'CloudInitResult',
        'FeatureInfo', 'PhoenixFeatureResult', 'VmDrift') {
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

    It '<_> writes durations as seconds and states as names, never as TimeSpan fields or enum numbers' -ForEach @(
        'PhoenixSession', 'PhoenixVm', 'PhoenixSnapshot', 'DeployResult', 'VmSpec', 'ConfigFinding', 'CloudInitDocument', 'CloudInitResult',
        'FeatureInfo', 'PhoenixFeatureResult', 'VmDrift') {
        Find-RawValue $outputs[$_] $_ | Should -BeNullOrEmpty
        Json $outputs[$_] | Should -Not -Match '"(Ticks|TotalMilliseconds)"'
    }

    It 'writes the states by name' {
        (Json $outputs.ConfigFinding | ConvertFrom-Json).Severity | Should -BeIn @('Error', 'Warning')
        (Json $outputs.FeatureInfo | ConvertFrom-Json).Source | Should -Be 'Bundled'
        (Json $outputs.PhoenixFeatureResult | ConvertFrom-Json).Status | Should -Be 'RecordedNotRun'
        $feature = Json $outputs.PhoenixFeatureResult | ConvertFrom-Json
        $feature.Duration | Should -BeOfType [double]
        $feature.Duration | Should -Be $outputs.PhoenixFeatureResult.Duration
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
        # Durations are seconds (a number), the status a name: the JSON reads as the table does.
        $r.Duration | Should -BeOfType [double]
        $r.Duration | Should -Be $outputs.DeployResult.Duration
        $r.Steps[0].Duration | Should -Be $outputs.DeployResult.Steps[0].Duration
        @($r.StepDurations.PSObject.Properties.Name) | Should -Contain 'Clone'
        $r.StepDurations.Clone | Should -Be $outputs.DeployResult.StepDurations['Clone']
        $r.Status | Should -Be 'Succeeded'
        (Json $outputs.DeployResult | ConvertFrom-Json -AsHashtable).Status | Should -Be 'Succeeded'
    }

    It 'pins the shape of the drift objects' {
        $d = Json $outputs.VmDrift | ConvertFrom-Json
        @($d.PSObject.Properties.Name | Sort-Object) | Should -Be @('Action', 'Actual', 'Field', 'Name', 'Node', 'Reason', 'VmId', 'Wanted')
        $d.VmId | Should -Be 201
        $d.Name | Should -Be 'docker-01'
        $d.Field | Should -Be 'cores'
        $d.Wanted | Should -Be '6'
        $d.Actual | Should -Be '4'
        $d.Action | Should -Be $outputs.VmDrift.Action
    }
}
