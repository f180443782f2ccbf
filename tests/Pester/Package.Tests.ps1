# build.ps1 -Task Package (issue 14): the .nupkg installs with Install-PSResource from a folder repository into an
# empty module path, and the installed copy works on its own. It all runs in a fresh pwsh whose PSResourceGet
# settings and user module folder are under $TestDrive (HOME and XDG_DATA_HOME), so the machine's are left alone.
BeforeAll {
    $props = [xml](Get-Content -Raw (Join-Path $env:PHOENIX_REPO_ROOT 'Directory.Build.props'))
    $script:version = @($props.Project.PropertyGroup | ForEach-Object { $_.Version } | Where-Object { $_ })[0]
    # ProjectUri comes from PackageProjectUrl alone (empty while Phoenix has no public page: then the manifest has none).
    $script:projectUri = "$($props.SelectSingleNode('/Project/PropertyGroup/PackageProjectUrl')?.InnerText)".Trim()
    $packageDir = Join-Path $env:PHOENIX_REPO_ROOT 'out/package'
    $packOut = & (Join-Path $env:PHOENIX_REPO_ROOT 'build.ps1') -Task Package -NoBuild 6>&1 | Out-String
    $script:nupkg = @(Get-ChildItem $packageDir -Filter '*.nupkg')

    $script:childScript = Join-Path $TestDrive 'install.ps1'
    Set-Content -LiteralPath $childScript -Value @'
param([string] $PackageDir, [string] $Example, [string] $StateDir)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$seen = [ordered]@{}
$seen.BeforeInstall = @(Get-Module -ListAvailable Phoenix).Count
Register-PSResourceRepository -Name PhoenixLocal -Uri $PackageDir -Trusted
Install-PSResource -Name Phoenix -Repository PhoenixLocal -Prerelease -Scope CurrentUser -TrustRepository -Quiet
$installed = @(Get-Module -ListAvailable Phoenix)
$seen.ModuleBase = @($installed.ModuleBase)
Import-Module Phoenix
$m = Get-Module Phoenix
$seen.Version = "$($m.Version)"
$seen.Prerelease = "$($m.PrivateData.PSData.Prerelease)"
$seen.ProjectUri = "$($m.ProjectUri)"
$seen.LicenseUri = "$($m.LicenseUri)"
$seen.ReleaseNotes = "$($m.ReleaseNotes)"
$seen.Tags = @($m.Tags)
$seen.Commands = @(Get-Command -Module Phoenix).Count
$seen.License = Test-Path (Join-Path $m.ModuleBase 'LICENSE')
$session = Connect-PhoenixHost -Simulator -StatePath $StateDir
$seen.Session = "$($session.HostName)"
$results = @(Import-PhoenixConfig $Example | Deploy-PhoenixVm -WarningAction SilentlyContinue)
$seen.Deployed = @($results | ForEach-Object { "$($_.VmId) $($_.Status)" })
$seen.Features = @(Get-PhoenixFeature | ForEach-Object Name)
$seen | ConvertTo-Json -Compress -Depth 3
'@
}

Describe 'build.ps1 -Task Package' {
    It 'writes one .nupkg named for the version of Directory.Build.props' {
        $nupkg | Should -HaveCount 1 -Because $packOut
        $nupkg[0].Name | Should -Be "Phoenix.$version.nupkg"
    }

    It 'installs with Install-PSResource from a folder repository into an empty module path, and the installed copy deploys the example' {
        # A home of its own: Install-PSResource -Scope CurrentUser installs under $HOME/.local/share/powershell/Modules,
        # while pwsh and PSResourceGet's settings follow XDG_DATA_HOME, which must exist (where it does not, .NET gives
        # no user data folder and PSResourceGet writes its settings into the current directory).
        $home2 = Join-Path $TestDrive 'home'
        $data = (New-Item -ItemType Directory -Force (Join-Path $home2 '.local/share')).FullName
        $exe = (Get-Process -Id $PID).Path
        $prefix = @(if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $saved = @{ HOME = $env:HOME; XDG_DATA_HOME = $env:XDG_DATA_HOME; PSModulePath = $env:PSModulePath }
        try {
            # pwsh puts the user module folder ($XDG_DATA_HOME/powershell/Modules) first, where Install-PSResource
            # -Scope CurrentUser installs; the rest of the path is PowerShell's own modules only.
            $env:HOME = $home2
            $env:XDG_DATA_HOME = $data
            $env:PSModulePath = Join-Path $PSHOME 'Modules'
            $out = & $exe @prefix -NoProfile -NonInteractive -File $childScript -PackageDir (Split-Path $nupkg[0].FullName) `
                -Example (Join-Path $env:PHOENIX_REPO_ROOT 'examples/phoenix.example.json') -StateDir (Join-Path $TestDrive 'state') 2>&1 |
                ForEach-Object { "$_" }
            $exit = $LASTEXITCODE
        } finally {
            $env:HOME = $saved.HOME
            $env:XDG_DATA_HOME = $saved.XDG_DATA_HOME
            $env:PSModulePath = $saved.PSModulePath
        }
        $exit | Should -Be 0 -Because ($out -join "`n")
        $seen = $out | Select-Object -Last 1 | ConvertFrom-Json

        $seen.BeforeInstall | Should -Be 0
        $moduleVersion, $prerelease = $version -split '-', 2
        $seen.ModuleBase | Should -HaveCount 1
        $seen.ModuleBase[0] | Should -Be (Join-Path $data "powershell/Modules/Phoenix/$moduleVersion")
        $seen.Version | Should -Be $moduleVersion
        $seen.Prerelease | Should -Be "$prerelease"
        if ($projectUri) { $seen.ProjectUri | Should -Be ([Uri]$projectUri).AbsoluteUri } else { $seen.ProjectUri | Should -BeNullOrEmpty }
        $seen.LicenseUri | Should -Match '^https://'
        $seen.ReleaseNotes | Should -Not -BeNullOrEmpty
        $seen.Tags | Should -Contain 'Proxmox'
        $seen.Commands | Should -Be (Import-PowerShellDataFile (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1')).CmdletsToExport.Count
        $seen.License | Should -BeTrue
        $seen.Session | Should -Be 'simulator'
        $seen.Deployed | Sort-Object | Should -Be @('201 Succeeded', '202 Succeeded', '203 Succeeded', '9000 Succeeded')
        $seen.Features | Should -Contain 'docker'
    }
}
