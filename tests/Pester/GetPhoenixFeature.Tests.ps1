BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:bundled = Join-Path $env:PHOENIX_MODULE_DIR 'features'
    $script:savedPath = $env:PHOENIX_FEATURE_PATH
    $env:PHOENIX_FEATURE_PATH = $null

    $script:mine = Join-Path $TestDrive 'mine'
    $null = New-Item -ItemType Directory $mine
    Set-Content -Path (Join-Path $mine 'feature_install_hello.sh') -Value "#!/usr/bin/env bash`n# Description: Says hello.`necho hello" -NoNewline
    Set-Content -Path (Join-Path $mine 'feature_install_docker.sh') -Value "#!/usr/bin/env bash`n# Description: My own Docker.`ntrue" -NoNewline
    Set-Content -Path (Join-Path $mine 'not_a_feature.sh') -Value 'true'

    $script:other = Join-Path $TestDrive 'other'
    $null = New-Item -ItemType Directory $other
    Set-Content -Path (Join-Path $other 'feature_install_extra.sh') -Value "#!/bin/bash`n# Description: Extra.`ntrue" -NoNewline
}

AfterAll {
    $env:PHOENIX_FEATURE_PATH = $savedPath
}

Describe 'Get-PhoenixFeature' {
    AfterEach { $env:PHOENIX_FEATURE_PATH = $null }

    It 'lists the bundled features with their file, description and hash' {
        $all = @(Get-PhoenixFeature)
        $all.Name | Should -Be @('base_setup', 'docker')
        $docker = $all | Where-Object Name -EQ 'docker'
        $docker | Should -BeOfType (Get-PhoenixType Phoenix.Engine.Features.FeatureInfo)
        $docker.Path | Should -Be (Join-Path $bundled 'feature_install_docker.sh')
        $docker.FileName | Should -Be 'feature_install_docker.sh'
        $docker.Source | Should -Be 'Bundled'
        $docker.Description | Should -Be "Installs Docker Engine from Docker's apt repository, starts it, and adds the VM's user to the docker group."
        $docker.Hash | Should -Be (Get-FileHash -Algorithm SHA256 $docker.Path).Hash.ToLowerInvariant()
        $docker.Length | Should -Be (Get-Item $docker.Path).Length
        $docker.ShadowedPaths | Should -BeNullOrEmpty
    }

    It 'adds the folders of -FeaturePath, whose features win over bundled ones of the same name' {
        $all = @(Get-PhoenixFeature -FeaturePath $mine)
        $all.Name | Should -Be @('base_setup', 'docker', 'hello')
        $docker = $all | Where-Object Name -EQ 'docker'
        $docker.Source | Should -Be 'User'
        $docker.Path | Should -Be (Join-Path $mine 'feature_install_docker.sh')
        $docker.Description | Should -Be 'My own Docker.'
        $docker.ShadowedPaths | Should -Be @((Join-Path $bundled 'feature_install_docker.sh'))
        ($all | Where-Object Name -EQ 'hello').Description | Should -Be 'Says hello.'
    }

    It 'reads the module-wide folders from PHOENIX_FEATURE_PATH, after -FeaturePath' {
        $env:PHOENIX_FEATURE_PATH = $other + [IO.Path]::PathSeparator + $mine
        $all = @(Get-PhoenixFeature)
        $all.Name | Should -Be @('base_setup', 'docker', 'extra', 'hello')
        ($all | Where-Object Name -EQ 'docker').Source | Should -Be 'User'
        ($all | Where-Object Name -EQ 'extra').Path | Should -Be (Join-Path $other 'feature_install_extra.sh')
    }

    It 'refuses a PHOENIX_FEATURE_PATH folder that does not exist and names the variable' {
        $missing = Join-Path $TestDrive 'nope'
        $env:PHOENIX_FEATURE_PATH = $missing
        { Get-PhoenixFeature } | Should -Throw -ErrorId 'FeatureFolderNotFound,Phoenix.PowerShell.Commands.GetPhoenixFeatureCommand' `
            -ExpectedMessage "The feature folder '$missing' named in the environment variable PHOENIX_FEATURE_PATH does not exist."
    }

    It 'refuses a -FeaturePath folder that does not exist' {
        $missing = Join-Path $TestDrive 'missing'
        { Get-PhoenixFeature -FeaturePath $missing } | Should -Throw -ErrorId 'FeatureFolderNotFound,Phoenix.PowerShell.Commands.GetPhoenixFeatureCommand' `
            -ExpectedMessage "The feature folder '$missing' does not exist."
    }

    It 'returns exact names in the order asked, also from the pipeline' {
        (Get-PhoenixFeature -Name docker, base_setup).Name | Should -Be @('docker', 'base_setup')
        ('hello', 'docker' | Get-PhoenixFeature -FeaturePath $mine).Name | Should -Be @('hello', 'docker')
    }

    It 'matches wildcards regardless of case and is quiet when a pattern matches nothing' {
        (Get-PhoenixFeature -Name 'DOCK*').Name | Should -Be 'docker'
        (Get-PhoenixFeature -Name '*_*', 'base*').Name | Should -Be @('base_setup')
        $err = $null
        $none = Get-PhoenixFeature -Name 'zzz*' -ErrorVariable err
        $none | Should -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
    }

    It 'writes an error for an unknown name that lists the known features, and goes on' {
        $err = $null
        $found = Get-PhoenixFeature -Name nope, docker -ErrorVariable err -ErrorAction SilentlyContinue
        $found.Name | Should -Be 'docker'
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'FeatureNotFound,Phoenix.PowerShell.Commands.GetPhoenixFeatureCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be 'nope'
        $err[0].Exception.Message | Should -Be "Feature 'nope' was not found. Known features: base_setup, docker. Searched: $bundled."
    }

    It 'says when an unknown name differs only in case' {
        $err = $null
        Get-PhoenixFeature -Name Docker -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].Exception.Message | Should -BeLike "*Did you mean 'docker'? Feature names are case-sensitive.*"
    }

    It 'shows a table with name, source, the start of the hash and the description' {
        $f = Get-PhoenixFeature -Name docker
        $text = Get-PhoenixFeature -Name docker | Format-Table | Out-String -Width 250
        $lines = $text -split "`r?`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match '^Name\s+Source\s+Hash\s+Description\s*$'
        $lines[2] | Should -Match ('^docker\s+Bundled\s+' + $f.Hash.Substring(0, 12) + '\s+Installs Docker Engine')
    }
}

Describe 'about_Phoenix_Features' {
    BeforeAll {
        $script:topic = Get-Content -Raw (Join-Path $env:PHOENIX_MODULE_DIR 'en-US/about_Phoenix_Features.help.txt')
        # Prose wraps at any blank: phrases are looked for with their blanks folded.
        $script:flat = $topic -replace '\s+', ' '
    }

    It 'names the paths, variables and limits the runner uses' {
        $runner = Get-PhoenixType Phoenix.Engine.Features.FeatureRunner
        $contract = Get-PhoenixType Phoenix.Engine.Features.FeatureContract
        foreach ($text in @((Get-PhoenixType Phoenix.Engine.Features.FeatureStateFile)::Path, "$($runner::GuestFolder)/feature_install_<name>.sh",
            "$($runner::GuestFolder)/<name>.log",
                $contract::DefaultContextFile, $contract::EnvVmId, $contract::EnvVmName, $contract::EnvUserName, $contract::EnvContextFile,
                'PHOENIX_FEATURE_PATH', "'input-data' (STDIN) is limited to 1 MiB, aborting", '-TimeoutSec', '-AgentTimeoutSec', 'RecordedNotRun')) {
            $flat | Should -Match ([regex]::Escape($text)) -Because "the topic must mention $text"
        }
        $flat | Should -Match ([regex]::Escape('qm guest exec <vmid> -- tail -n 50 /var/lib/phoenix/features/<name>.log'))
        $runner::LogCommand(101, 'docker') | Should -Be 'qm guest exec 101 -- tail -n 50 /var/lib/phoenix/features/docker.log'
    }

    It 'gives each exit code of the convention the meaning the error messages use' {
        foreach ($code in 1..9) {
            $meaning = (Get-PhoenixType Phoenix.Engine.Features.FeatureContract)::DescribeExitCode($code)
            $topic | Should -Match ("(?m)^\s+$code\s+" + [regex]::Escape($meaning)) -Because "exit code $code means '$meaning'"
        }
    }
}
