# The CI examples (issue 14): examples/ci/github-actions.yml and examples/ci/azure-pipelines.yml are parsed, and their
# pwsh steps run as the CI would run them (each in a fresh, non-interactive pwsh -File), with the environment the file
# gives each step and the secrets as environment variables, against the fake host. The module is installed by the
# pipelines' own step from the package build.ps1 -Task Package writes (a folder repository stands in for the Gallery;
# PSResourceGet's settings and the user module folder are under $TestDrive). So the examples cannot rot.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    $null = & (Join-Path $env:PHOENIX_REPO_ROOT 'build.ps1') -Task Package -NoBuild 6>&1
    $script:packageDir = Join-Path $env:PHOENIX_REPO_ROOT 'out/package'
    $script:fake = Start-FakeHost
    $script:keyText = Get-Content -Raw $fake.keyFile

    $exe = (Get-Process -Id $PID).Path
    $script:pwshCommand = @($exe) + @(if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    # What every step's pwsh gets: PSResourceGet's settings and the user module folder in $TestDrive, and
    # PowerShell's own modules only, as on a fresh CI machine.
    # A home of its own, with XDG_DATA_HOME inside it and created (Package.Tests.ps1 says why both).
    $ciHome = Join-Path $TestDrive 'home'
    $script:machineEnv = @{ HOME = $ciHome; XDG_DATA_HOME = (New-Item -ItemType Directory -Force (Join-Path $ciHome '.local/share')).FullName
        PSModulePath = (Join-Path $PSHOME 'Modules') }

    # A feature that fails, for the run that must fail the job.
    $script:featureDir = Join-Path $TestDrive 'features'
    $null = New-Item -ItemType Directory $featureDir
    Set-Content -Path (Join-Path $featureDir 'feature_install_ci_fails.sh') -Value "#!/bin/bash`n# Description: fails on purpose`necho 'no luck' >&2`nexit 1"

    $yaml = (Get-PhoenixType YamlDotNet.Serialization.Deserializer -Assembly YamlDotNet)::new()

    function Get-Key($Map, [string] $Key) { if ($Map.ContainsKey($Key)) { $Map[$Key] } }

    # A step's environment: the pipeline's, then the step's own.
    function Join-StepEnv([hashtable] $PipelineEnv, $Step) {
        $all = @{} + $PipelineEnv
        if ($Step.ContainsKey('env')) { foreach ($e in $Step['env'].GetEnumerator()) { $all[[string]$e.Key] = $e.Value } }
        $all
    }

    # The pwsh steps of a pipeline file: name, script, environment (as written) and when they run (pr, main or always).
    function Get-PipelineStep([string] $Kind) {
        $doc = $yaml.Deserialize([string](Get-Content -Raw (Join-Path $env:PHOENIX_REPO_ROOT "examples/ci/$Kind.yml")))
        $pipelineEnv = @{}
        if ($Kind -eq 'github-actions') {
            $job = @($doc['jobs'].Values)[0]
            foreach ($scope in $doc, $job) { if ($scope.ContainsKey('env')) { foreach ($e in $scope['env'].GetEnumerator()) { $pipelineEnv[[string]$e.Key] = $e.Value } } }
            foreach ($step in $job['steps']) {
                if ((Get-Key $step 'shell') -ne 'pwsh') { continue }
                $if = Get-Key $step 'if'
                $when = if ($if -match 'pull_request') { 'pr' } elseif ($if -match 'refs/heads/main') { 'main' } else { 'always' }
                [pscustomobject]@{ Name = $step['name']; Script = $step['run']; Env = (Join-StepEnv $pipelineEnv $step); When = $when }
            }
        } else {
            foreach ($v in $doc['variables']) { if ($v.ContainsKey('name')) { $pipelineEnv[$v['name']] = $v['value'] } }
            foreach ($step in $doc['steps']) {
                if (-not $step.ContainsKey('pwsh')) { continue }
                $condition = Get-Key $step 'condition'
                $when = if ($condition -match "eq\(variables\['Build.Reason'\], 'PullRequest'\)") { 'pr' }
                        elseif ($condition -match 'refs/heads/main') { 'main' } else { 'always' }
                [pscustomobject]@{ Name = $step['displayName']; Script = $step['pwsh']; Env = (Join-StepEnv $pipelineEnv $step); When = $when }
            }
        }
    }

    # The CI secret store and variables, as each file names them.
    function Get-CiValue([string] $Kind) {
        if ($Kind -eq 'github-actions') {
            @{ 'secrets.PHOENIX_SSH_KEY' = $keyText; 'secrets.PHOENIX_HOST_KEY_FINGERPRINT' = $fake.hostKeyFingerprint
               'vars.PHOENIX_HOST' = $fake.host; 'vars.PHOENIX_PORT' = "$($fake.port)" }
        } else {
            # The variable group's PHOENIX_HOST and PHOENIX_PORT reach every step as environment variables.
            @{ 'phoenixKey.secureFilePath' = $fake.keyFile; 'PHOENIX_HOST_KEY_FINGERPRINT' = $fake.hostKeyFingerprint }
        }
    }

    # Runs the steps a pull request (pr) or a push to main (main) runs, in order, until one fails; returns each step's exit code and output.
    function Invoke-Pipeline([string] $Kind, [string] $Event, [string] $Config, [hashtable] $Extra = @{}) {
        $workspace = Join-Path $TestDrive ("ws-" + [guid]::NewGuid().ToString('n').Substring(0, 8))
        $null = New-Item -ItemType Directory $workspace
        $values = Get-CiValue $Kind
        $pattern = if ($Kind -eq 'github-actions') { '\$\{\{\s*([\w.]+)\s*\}\}' } else { '\$\(([\w.]+)\)' }
        $steps = @(Get-PipelineStep $Kind | Where-Object { $_.When -in 'always', $Event })
        $ran = foreach ($step in $steps) {
            $stepEnv = @{}
            foreach ($e in $step.Env.GetEnumerator()) {
                $stepEnv[[string]$e.Key] = [regex]::Replace([string]$e.Value, $pattern, {
                        param($m)
                        if (-not $values.ContainsKey($m.Groups[1].Value)) { throw "No CI value for $($m.Value) in $Kind.yml." }
                        $values[$m.Groups[1].Value]
                    })
            }
            if ($Kind -eq 'azure-pipelines') { $stepEnv.PHOENIX_HOST = $fake.host; $stepEnv.PHOENIX_PORT = "$($fake.port)" }
            # The config and the package repository the test gives instead of the file's.
            $stepEnv.PHOENIX_CONFIG = $Config
            $stepEnv.PHOENIX_REPOSITORY = 'PhoenixLocal'
            $all = $machineEnv + $stepEnv + $Extra
            $file = Join-Path $workspace ("step-" + ($step.Name -replace '\W', '') + '.ps1')
            Set-Content -LiteralPath $file -Value $step.Script
            $saved = @{}
            foreach ($k in $all.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $all[$k]) }
            Push-Location $workspace
            try {
                $out = & $pwshCommand[0] @($pwshCommand | Select-Object -Skip 1) -NoProfile -NonInteractive -File $file 2>&1 | ForEach-Object { "$_" }
                $code = $LASTEXITCODE
            } finally {
                Pop-Location
                foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
            }
            [pscustomobject]@{ Name = $step.Name; ExitCode = $code; Output = ($out -join "`n") }
            if ($code -ne 0) { break }
        }
        [pscustomobject]@{ Steps = @($ran); Workspace = $workspace }
    }

    function New-CiConfig([int] $VmId, [string] $Name, [string[]] $Features = @()) {
        $path = Join-Path $TestDrive "config-$VmId.json"
        @{
            vms = @(@{
                    vmid = $VmId; name = $Name; network_config = @{ ip = 'dhcp' }; features = $Features
                    user_config = @{ username = 'ci'; ssh_public_keys = @((Get-TestSecret).Ed25519Key) }
                })
        } | ConvertTo-Json -Depth 5 | Set-Content $path
        $path
    }

    # The package repository, registered once in the steps' PSResourceGet settings.
    $saved = @{}
    foreach ($k in $machineEnv.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $machineEnv[$k]) }
    try {
        & $pwshCommand[0] @($pwshCommand | Select-Object -Skip 1) -NoProfile -NonInteractive -Command "Register-PSResourceRepository -Name PhoenixLocal -Uri '$packageDir' -Trusted"
    } finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
}

AfterAll {
    if ($fake) { Stop-FakeHost $fake }
}

Describe 'The <_> example' -ForEach 'github-actions', 'azure-pipelines' {
    BeforeAll {
        $kind = $_
        $script:vmId = if ($kind -eq 'github-actions') { 150 } else { 160 }
        $script:config = New-CiConfig $vmId "ci-$vmId"
    }

    It 'runs its pwsh steps in the order the file gives them' {
        $steps = @(Get-PipelineStep $kind)
        $steps.Name | Should -Be @('Install Phoenix', 'Check the config', 'Plan', 'Deploy')
        $steps.When | Should -Be @('always', 'always', 'pr', 'main')
    }

    It 'on a pull request installs the package, passes the gate and publishes the plan as text and JSON, changing nothing' {
        $run = Invoke-Pipeline $kind 'pr' $config
        $run.Steps.Name | Should -Be @('Install Phoenix', 'Check the config', 'Plan')
        foreach ($s in $run.Steps) { $s.ExitCode | Should -Be 0 -Because "$($s.Name): $($s.Output)" }
        $run.Steps[0].Output | Should -Match ([regex]::Escape((Join-Path $machineEnv.XDG_DATA_HOME 'powershell/Modules/Phoenix')))

        $plan = @(Get-Content -Raw (Join-Path $run.Workspace 'plan/plan.json') | ConvertFrom-Json)
        $plan | Should -HaveCount 1
        $plan[0].VmId | Should -Be $vmId
        $plan[0].Name | Should -Be "ci-$vmId"
        $plan[0].Plan -match "^qm clone 9000 $vmId --name ci-$vmId\b" | Should -HaveCount 1
        $text = Get-Content (Join-Path $run.Workspace 'plan/plan.txt')
        $text[0] | Should -Be "VM $vmId (ci-$vmId)"
        $text -match "^    qm clone 9000 $vmId --name ci-$vmId\b" | Should -HaveCount 1
        Get-Audit $fake | Should -Not -Contain "qm clone 9000 $vmId --name ci-$vmId"
        ($run.Steps.Output -join "`n") | Should -Not -Match ([regex]::Escape(($keyText -split "`n")[1]))
    }

    It 'on main deploys the config' {
        $run = Invoke-Pipeline $kind 'main' $config
        $run.Steps.Name | Should -Be @('Install Phoenix', 'Check the config', 'Deploy')
        foreach ($s in $run.Steps) { $s.ExitCode | Should -Be 0 -Because "$($s.Name): $($s.Output)" }
        Get-Audit $fake | Should -Contain "qm clone 9000 $vmId --name ci-$vmId"
        $run.Steps[2].Output | Should -Match "$vmId\s+ci-$vmId\s+Succeeded"
        ($run.Steps.Output -join "`n") | Should -Not -Match ([regex]::Escape(($keyText -split "`n")[1]))
    }

    It 'fails the job, naming the VM, when a VM fails' {
        $failing = New-CiConfig ($vmId + 1) "ci-fail-$($vmId + 1)" -Features 'ci_fails'
        $run = Invoke-Pipeline $kind 'main' $failing -Extra @{ PHOENIX_FEATURE_PATH = $featureDir }
        $run.Steps.Name | Should -Be @('Install Phoenix', 'Check the config', 'Deploy')
        $run.Steps[1].ExitCode | Should -Be 0 -Because $run.Steps[1].Output
        $run.Steps[2].ExitCode | Should -Not -Be 0
        $run.Steps[2].Output | Should -Match "1 VM\(s\) failed: $($vmId + 1) \(ci-fail-$($vmId + 1)\)"
    }

    It 'stops at the gate when the config has an error' {
        $bad = Join-Path $TestDrive "bad-$vmId.json"
        '{ "vms": [ { "vmid": 5, "name": "too-low" } ] }' | Set-Content $bad
        $run = Invoke-Pipeline $kind 'pr' $bad
        $run.Steps.Name | Should -Be @('Install Phoenix', 'Check the config')
        $run.Steps[1].ExitCode | Should -Not -Be 0
        $run.Steps[1].Output | Should -Match 'vmid'
    }
}
