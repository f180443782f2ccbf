BeforeDiscovery {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    $script:cmdlets = Get-Command -Module Phoenix -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } }
}

BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    $script:module = Get-Module Phoenix
    $script:assembly = [Phoenix.PowerShell.PhoenixSession].Assembly
}

Describe 'The module manifest' {
    It 'exports exactly the cmdlets the assembly defines' {
        $inAssembly = $assembly.GetExportedTypes() |
            Where-Object { -not $_.IsAbstract -and $_.IsSubclassOf([System.Management.Automation.Cmdlet]) } |
            ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" } |
            Sort-Object
        $manifest = Import-PowerShellDataFile (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1')
        ($manifest.CmdletsToExport | Sort-Object) | Should -Be $inAssembly
        ($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be $inAssembly
    }

    It 'carries the version of Directory.Build.props' {
        $props = [xml](Get-Content -Raw (Join-Path $env:PHOENIX_REPO_ROOT 'Directory.Build.props'))
        $version = @($props.Project.PropertyGroup.Version | Where-Object { $_ })[0]
        $module.Version.ToString() | Should -Be $version
    }

    It 'has sealed cmdlet classes named after their cmdlets' {
        foreach ($t in $assembly.GetExportedTypes() | Where-Object { -not $_.IsAbstract -and $_.IsSubclassOf([System.Management.Automation.Cmdlet]) }) {
            $a = $t.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
            $t.IsSealed | Should -BeTrue -Because "$($t.Name) is a cmdlet"
            $t.Name | Should -Be "$($a.VerbName)$($a.NounName)Command"
        }
    }
}

Describe 'Parameters shared by the cmdlets' {
    It 'checks every VMID parameter with the engine''s one rule' {
        $vmIdParameters = foreach ($c in Get-Command -Module Phoenix -CommandType Cmdlet) {
            foreach ($p in $c.Parameters.Values | Where-Object Name -Match 'VmId$') { [pscustomobject]@{ Command = $c.Name; Parameter = $p } }
        }
        @($vmIdParameters).Count | Should -BeGreaterThan 15
        foreach ($v in $vmIdParameters) {
            $attributes = $v.Parameter.Attributes
            @($attributes | Where-Object { $_ -is [Phoenix.PowerShell.Infrastructure.ValidateVmIdAttribute] }) |
                Should -HaveCount 1 -Because "-$($v.Parameter.Name) of $($v.Command) is a VMID"
            @($attributes | Where-Object { $_ -is [System.Management.Automation.ValidateRangeAttribute] }) | Should -HaveCount 0
        }
    }

    It 'refuses a VMID outside Proxmox''s range in the words of the config file''s rule, for one ID and in an array' {
        foreach ($call in { Start-PhoenixVm -VmId 99 }, { Get-PhoenixVm -VmId 101, 1000000000 }) {
            $e = { & $call } | Should -Throw -PassThru
            $e.Exception | Should -BeOfType ([System.Management.Automation.ParameterBindingException])
            $e.Exception.Message | Should -Match 'VMID (99|1000000000) is outside the range Proxmox accepts \(100\.\.999999999\)\.'
        }
    }

    It 'names the snippet storage -SnippetStorage in Set-PhoenixCloudInit and Deploy-PhoenixVm, with -Storage still taken' {
        foreach ($name in 'Set-PhoenixCloudInit', 'Deploy-PhoenixVm') {
            (Get-Command $name).Parameters.Keys | Should -Contain 'SnippetStorage'
        }
        (Get-Command Set-PhoenixCloudInit).Parameters['SnippetStorage'].Aliases | Should -Be @('Storage')
    }
}

Describe 'Output formatting' {
    It 'has a view for every output type of every cmdlet' {
        $formatXml = [xml](Get-Content -Raw (Join-Path $env:PHOENIX_MODULE_DIR 'Formats/Phoenix.Format.ps1xml'))
        $viewed = @($formatXml.Configuration.ViewDefinitions.View | ForEach-Object { $_.ViewSelectedBy.TypeName })
        $outputTypes = Get-Command -Module Phoenix -CommandType Cmdlet | ForEach-Object { $_.OutputType } |
            Where-Object { $_.Type -and $_.Type -ne [void] } | ForEach-Object { $_.Type.FullName } | Sort-Object -Unique
        $outputTypes | Should -Not -BeNullOrEmpty
        foreach ($t in $outputTypes) { $viewed | Should -Contain $t -Because "$t is written to the pipeline" }
    }
}

Describe 'Help for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:help = Get-Help $Name -Full
        $script:command = Get-Command $Name
    }

    It 'has a synopsis of its own' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without a help file PowerShell makes the synopsis up from the syntax.
        $help.Synopsis | Should -Not -Match ([regex]::Escape($Name) + '\s+\[')
    }

    It 'has a description' {
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        foreach ($p in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $ph = $help.parameters.parameter | Where-Object name -EQ $p
            $ph | Should -Not -BeNullOrEmpty -Because "-$p must appear in the help of $Name"
            ($ph.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$p of $Name needs a description"
        }
    }

    It 'has at least one example with code and remarks' {
        @($help.examples.example).Count | Should -BeGreaterThan 0
        foreach ($ex in $help.examples.example) {
            $ex.code | Should -Not -BeNullOrEmpty
            ($ex.remarks | Out-String).Trim() | Should -Not -BeNullOrEmpty
        }
    }
}

Describe 'about topics' {
    It 'ships about_Phoenix' {
        $topic = Get-Help about_Phoenix
        ($topic | Out-String) | Should -Match 'Phoenix builds virtual machines on Proxmox VE'
    }
}
