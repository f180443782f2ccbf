#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages the Phoenix module.
.DESCRIPTION
    Run through the repo's dotnet tool manifest so that no global PowerShell is needed:
        dotnet tool restore
        dotnet pwsh -NoProfile ./build.ps1 -Task Test
    Tasks:
        Build       compile the solution and lay out the module in out/Phoenix
        Test        Build, install what the tests need, run xunit and Pester, print `N passed, N failed`
        Demo        Build, then deploy examples/ on the in-process simulator
        Package     Build, then pack out/Phoenix into out/package/Phoenix.<version>.nupkg (Install-PSResource installs it)
        FakeHost    Build, then start a fake Proxmox host behind sshd on 127.0.0.1; prints one JSON line
                    (-Nodes N: a cluster, one sshd per node, every node in the JSON line)
        ImportTime  Build, then measure Import-Module against a bare pwsh start (figures printed)
        Bench       Build, then run the benchmarks in tools/bench (figures printed)
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'FakeHost', 'ImportTime', 'Bench', 'Clean')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tag filter for quicker local runs (the full suite runs without it).
    [string[]] $PesterTag,

    # Pester tags to leave out. Without -PesterTag or -PesterFile, tag Chaos (the kill-and-rerun test, about 8 minutes on
    # 2 cores) is always left out: it runs as its own command, -PesterTag Chaos (see README, Running the tests).
    [string[]] $PesterExcludeTag,

    # Only these Pester files (names or paths, e.g. DeployPhoenixVm or tests/Pester/DeployPhoenixVm.Tests.ps1; several: A,B).
    [string[]] $PesterFile,

    # Only the xunit tests this `dotnet test --filter` expression picks (e.g. 'FullyQualifiedName~SshHostConnectionTests').
    [string] $TestFilter,

    # Skip the xunit projects (local runs only).
    [switch] $SkipXunit,

    # Skip Pester (local runs only).
    [switch] $SkipPester,

    # Test: how many pwsh processes run the Pester files at once (tests/Invoke-PhoenixPester.ps1 says how); 1 runs them
    # all in one, in file order.
    [ValidateRange(1, 8)]
    [int] $PesterWorkers = 2,

    # Test, FakeHost, Demo, Package, ImportTime, Bench: use the module, tools and test assemblies already built (out/, bin/).
    [switch] $NoBuild,

    # FakeHost: a node with no VMs (no base template 9000).
    [switch] $EmptyNode,

    # Build, Package: the project's public page, stamped into the manifest as ProjectUri (what the PowerShell
    # Gallery links to). Defaults to Directory.Build.props's PackageProjectUrl, which is empty: Phoenix has no
    # public page yet, and a manifest without one says so more honestly than a made-up address.
    [string] $ProjectUri,

    # FakeHost: a cluster of this many nodes (pve1..pveN), one sshd each over one state; 1 is the lone node.
    [ValidateRange(1, 99)]
    [int] $Nodes = 1,

    # FakeHost: also non-root login users, phoenix-sudo (with a sudoers rule) and phoenix-nosudo (root only).
    [switch] $LoginUsers
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:NO_COLOR = '1'
if ($PSVersionTable.PSVersion.Major -ge 7) { $PSStyle.OutputRendering = 'PlainText' }

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleDir = Join-Path $Out 'Phoenix'
$PackagesDir = Join-Path $Root '.packages'
$PesterVersion = '6.2.0'

function Get-PhoenixVersion {
    $props = [xml](Get-Content -Raw (Join-Path $Root 'Directory.Build.props'))
    $v = @($props.Project.PropertyGroup | ForEach-Object { $_.Version } | Where-Object { $_ })[0]
    if (-not $v) { throw 'No <Version> in Directory.Build.props.' }
    return $v
}

# The manifest's ProjectUri: -ProjectUri, else Directory.Build.props's PackageProjectUrl; empty (none) by default.
function Get-PhoenixProjectUri {
    $uri = $ProjectUri
    if (-not $uri) {
        $props = [xml](Get-Content -Raw (Join-Path $Root 'Directory.Build.props'))
        $uri = "$($props.SelectSingleNode('/Project/PropertyGroup/PackageProjectUrl')?.InnerText)".Trim()
    }
    if (-not $uri) { return '' }
    $parsed = $null
    if (-not [Uri]::TryCreate($uri, [UriKind]::Absolute, [ref] $parsed) -or $parsed.Scheme -notin 'https', 'http' -or $uri.Contains("'")) {
        throw "ProjectUri '$uri' is not an http(s) address. Give -ProjectUri https://... or fix PackageProjectUrl in Directory.Build.props."
    }
    return $parsed.AbsoluteUri
}

# Native programs write to the host, never into a function's return value: a function that
# returns something (a path, a count) must not also return apt-get's or dotnet's lines. Every
# native call in this script goes through Invoke-FreshPwsh or Invoke-Native, which pass the
# program's lines to Write-Host (the information stream, which the FakeHost task moves to stderr),
# or is assigned on purpose.
filter Write-NativeLine { Write-Host $_ }

# A fresh pwsh like this one. Run as a dotnet tool, this process is `dotnet pwsh.dll`, so the
# child is started the same way; a native pwsh starts itself. Its output goes to the host.
function Invoke-FreshPwsh {
    $exe = (Get-Process -Id $PID).Path
    if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') {
        & $exe (Join-Path $PSHOME 'pwsh.dll') @args | Write-NativeLine
    } else {
        & $exe @args | Write-NativeLine
    }
}

# Runs a native program with its output on the host; throws when it fails.
function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments | Write-NativeLine
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    $version = Get-PhoenixVersion
    Invoke-Native dotnet @('build', (Join-Path $Root 'Phoenix.PowerShell.sln'), '-c', $Configuration, '-nologo', '-v', 'q', '-clp:ErrorsOnly')

    if (Test-Path $ModuleDir) { Remove-Item -Recurse -Force $ModuleDir }
    $null = New-Item -ItemType Directory -Force $ModuleDir
    $bin = Join-Path $Root "src/Phoenix.PowerShell/bin/$Configuration/netstandard2.0"
    Get-ChildItem $bin -Filter *.dll | Where-Object Name -notin @('System.Management.Automation.dll') |
        Copy-Item -Destination $ModuleDir
    # Phoenix.psm1 loads the cmdlets; on PowerShell 7 Phoenix.Loader.dll isolates their libraries (net8.0).
    Copy-Item (Join-Path $Root 'Phoenix.psm1') -Destination $ModuleDir
    Copy-Item (Join-Path $Root "src/Phoenix.Loader/bin/$Configuration/net8.0/Phoenix.Loader.dll") -Destination $ModuleDir
    Copy-Item (Join-Path $Root 'Formats') -Destination $ModuleDir -Recurse
    Copy-Item (Join-Path $Root 'LICENSE') -Destination $ModuleDir
    foreach ($folder in 'features', 'templates', 'schema') {
        $src = Join-Path $Root $folder
        if (Test-Path $src) { Copy-Item $src -Destination $ModuleDir -Recurse }
    }
    $help = Join-Path $ModuleDir 'en-US'
    $null = New-Item -ItemType Directory -Force $help
    Copy-Item (Join-Path $Root 'about_help/en-US/*') -Destination $help

    # The manifest's version is stamped from Directory.Build.props: one number, one place. A label after
    # a '-' (0.2.0-rc1) is the manifest's Prerelease, as PSResourceGet and the Gallery read it.
    $moduleVersion, $prerelease = $version -split '-', 2
    $manifest = Get-Content -Raw (Join-Path $Root 'Phoenix.psd1')
    $manifest = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion = '$moduleVersion'"
    $manifest = $manifest -replace "Prerelease(\s*)=\s*'[^']*'", "Prerelease`$1= '$prerelease'"
    # ProjectUri only when the project has a public page (Get-PhoenixProjectUri); none is better than a made-up one.
    $projectUri = Get-PhoenixProjectUri
    if ($projectUri) { $manifest = $manifest -replace "(?m)^(\s*)LicenseUri(\s*)=", "`$1ProjectUri   = '$projectUri'`n`$1LicenseUri`$2=" }
    Set-Content -Path (Join-Path $ModuleDir 'Phoenix.psd1') -Value $manifest -NoNewline

    # The fake host's qm/pvesm/pvesh come from the simulator CLI; it is a test tool, not part of the module.
    # Every command over SSH starts it anew, so on Linux x64 (where the fake host runs) it is published
    # ReadyToRun: precompiled, it costs the fake host about a third less CPU a command than JIT compiling
    # itself each time, a cost no Proxmox node has (its Perl start is modelled by the fault plan's latency).
    $cli = Join-Path $Root "src/Phoenix.Simulator.Cli/bin/$Configuration/net10.0"
    $cliOut = Join-Path $Out 'fakehost/bin'
    if (Test-Path $cliOut) { Remove-Item -Recurse -Force $cliOut }
    $null = New-Item -ItemType Directory -Force $cliOut
    if ($IsLinux -and [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture -eq 'X64') {
        Invoke-Native dotnet @('publish', (Join-Path $Root 'src/Phoenix.Simulator.Cli/Phoenix.Simulator.Cli.csproj'), '-c', $Configuration,
            '-r', 'linux-x64', '--self-contained', 'false', '-p:PublishReadyToRun=true', '-o', $cliOut, '-nologo', '-v', 'q', '-clp:ErrorsOnly')
    } else {
        Copy-Item (Join-Path $cli '*') -Destination $cliOut -Recurse
    }

    # Cmdlet help (MAML) is generated from help/*.psd1 against the built cmdlets, in a child pwsh
    # so that this build process never loads the module it is building.
    Invoke-FreshPwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tools/New-PhoenixHelp.ps1') -ModuleDir $ModuleDir -HelpSource (Join-Path $Root 'help')
    if ($LASTEXITCODE -ne 0) { throw 'Help generation failed.' }
    Write-Host "Built Phoenix $version into $ModuleDir"
}

# Where Pester is once Install-TestPrerequisites has run.
function Get-PesterPath { Join-Path $PackagesDir "pester/$PesterVersion/tools/Pester.psd1" }

# Installs what the tests need; returns nothing (native output goes to the host).
function Install-TestPrerequisites {
    # Debian packages the tests use: sshd for real SSH, cloud-init's validators, shellcheck for scripts.
    $need = @()
    if (-not (Test-Path '/usr/sbin/sshd')) { $need += 'openssh-server' }
    if (-not (Get-Command cloud-init -ErrorAction Ignore)) { $need += 'cloud-init' }
    if (-not (Get-Command shellcheck -ErrorAction Ignore)) { $need += 'shellcheck' }
    if (-not (Get-Command unshare -ErrorAction Ignore)) { $need += 'util-linux' }
    if (-not (Get-Command curl -ErrorAction Ignore)) { $need += 'curl' }
    # sudo for the fake host's non-root login user (Connect-PhoenixHost -UseSudo).
    if (-not (Test-Path '/usr/bin/sudo')) { $need += 'sudo' }
    if ($need) {
        $isRoot = (& id -u) -eq '0'
        if (-not $isRoot -or -not (Get-Command apt-get -ErrorAction Ignore)) {
            throw "The tests need these Debian packages: $($need -join ', '). Install them (as root: apt-get install -y $($need -join ' '))."
        }
        Write-Host "Installing $($need -join ', ') ..."
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get @('update', '-qq')
        Invoke-Native apt-get -Arguments (@('install', '-y', '-qq', '--no-install-recommends') + $need)
    }

    # Pester comes from NuGet into .packages (it is a Chocolatey-style package: the module is in tools/).
    if (-not (Test-Path (Get-PesterPath))) {
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tools/pester/PesterDownload.csproj'), '--packages', $PackagesDir, '-v', 'q')
    }
    # Other versions of Phoenix's libraries (as other modules bring them), for Dependencies.Tests.ps1.
    if (-not (Test-Path (Join-Path $PackagesDir 'ssh.net/2026.0.1'))) {
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/fixtures/other-library-versions/OtherLibraryVersions.csproj'), '--packages', $PackagesDir, '-v', 'q')
    }
}

function Get-TrxCounts {
    param([string] $Directory)
    $passed = 0; $failed = 0
    foreach ($trx in Get-ChildItem $Directory -Filter *.trx -ErrorAction Ignore) {
        $x = [xml](Get-Content -Raw -LiteralPath $trx.FullName)
        $c = $x.TestRun.ResultSummary.Counters
        $passed += [int]$c.passed
        $failed += [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Invoke-Test {
    if (-not $NoBuild) { Invoke-Build }
    Install-TestPrerequisites
    $pesterPsd1 = Get-PesterPath
    if (-not (Test-Path -LiteralPath $pesterPsd1 -PathType Leaf)) { throw "Pester $PesterVersion is not at $pesterPsd1 after its restore." }
    $results = Join-Path $Out 'test-results'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    $null = New-Item -ItemType Directory -Force $results

    # Pester's arguments first: a wrong -PesterFile throws before xunit starts.
    $summary = Join-Path $results 'pester-summary.json'
    if (-not $SkipPester) {
        $pesterArgs = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/Invoke-PhoenixPester.ps1'),
            '-PesterPath', $pesterPsd1, '-ModuleDir', $ModuleDir, '-SummaryPath', $summary, '-ResultsDir', $results, '-Workers', "$PesterWorkers")
        if ($PesterTag) { $pesterArgs += @('-Tag', ($PesterTag -join ',')) }
        $exclude = @($PesterExcludeTag | Where-Object { $_ })
        if (-not $PesterTag -and -not $PesterFile) { $exclude += 'Chaos' }
        if ($exclude) { $pesterArgs += @('-ExcludeTag', ($exclude -join ',')) }
        if ($PesterFile) {
            $files = foreach ($f in @($PesterFile -split ',' | Where-Object { $_ })) {
                $candidates = @($f, (Join-Path $Root $f), (Join-Path $Root "tests/Pester/$f"), (Join-Path $Root "tests/Pester/$f.Tests.ps1"))
                $hit = $candidates | Where-Object { Test-Path -LiteralPath $_ -PathType Leaf } | Select-Object -First 1
                if (-not $hit) { throw "No Pester file '$f' (looked in tests/Pester)." }
                (Resolve-Path -LiteralPath $hit).ProviderPath
            }
            $pesterArgs += @('-Path', ($files -join ','))
        }
    }

    # xunit runs first and alone, printing as it goes; the Pester workers follow. Beside two Pester workers on two
    # cores its tests that wait on real processes (the guest scripts' shell tests, the guest program's start, the
    # agent waits) ran out of their time limits; alone it takes about a minute and a quarter.
    $xunit = [pscustomobject]@{ Passed = 0; Failed = 0 }
    $xunitExit = 0
    if (-not $SkipXunit) {
        $xunitArgs = @('test', (Join-Path $Root 'Phoenix.PowerShell.sln'), '-c', $Configuration, '--no-build', '--nologo',
            '--logger', 'trx', '--logger', 'console;verbosity=minimal', '--results-directory', $results) + @(if ($TestFilter) { '--filter', $TestFilter })
        & dotnet @xunitArgs | Write-NativeLine
        $xunitExit = $LASTEXITCODE
        $xunit = Get-TrxCounts $results
        if ($xunitExit -ne 0 -and $xunit.Failed -eq 0) { $xunit.Failed = 1 } # a crashed test host counts as a failure
    }

    $pester = [pscustomobject]@{ Passed = 0; Failed = 0 }
    if (-not $SkipPester) {
        Invoke-FreshPwsh @pesterArgs
        if (Test-Path $summary) {
            $pester = Get-Content -Raw $summary | ConvertFrom-Json
        } else {
            $pester.Failed = 1
        }
    }

    $passed = $xunit.Passed + $pester.Passed
    $failed = $xunit.Failed + $pester.Failed
    Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed; Pester: $($pester.Passed) passed, $($pester.Failed) failed"
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    if (-not $NoBuild) { Invoke-Build }
    Invoke-FreshPwsh -NoProfile -NonInteractive -File (Join-Path $Root 'examples/demo.ps1') -ModuleDir $ModuleDir
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

# The module as a .nupkg in out/package, for Install-PSResource from a repository (a folder registered
# with Register-PSResourceRepository, or the Gallery). PSResourceGet ships with pwsh 7.4 and later.
function Invoke-Package {
    if (-not $NoBuild) { Invoke-Build }
    $dest = Join-Path $Out 'package'
    if (Test-Path $dest) { Remove-Item -Recurse -Force $dest }
    $null = New-Item -ItemType Directory -Force $dest
    Compress-PSResource -Path $ModuleDir -DestinationPath $dest
    $nupkg = @(Get-ChildItem $dest -Filter '*.nupkg')
    if ($nupkg.Count -ne 1) { throw "Compress-PSResource wrote $($nupkg.Count) packages into $dest; expected one." }
    Write-Host "Packaged $($nupkg[0].FullName)"
}

function Invoke-FakeHost {
    # stdout carries only the JSON line, so scripts can read it; the build talks on stderr.
    if (-not $NoBuild) {
        & { Invoke-Build; Install-TestPrerequisites } *>&1 | ForEach-Object { [Console]::Error.WriteLine([string]$_) }
    }
    # Prints one JSON line; `kill <pid>` stops everything it started.
    $hostArgs = @('--bin', (Join-Path $Out 'fakehost/bin'))
    if ($EmptyNode) { $hostArgs += '--empty' }
    if ($Nodes -gt 1) { $hostArgs += @('--nodes', "$Nodes") }
    if ($LoginUsers) { $hostArgs += '--login-users' }
    & bash (Join-Path $Root 'tests/FakeHost/start-fakehost.sh') @hostArgs
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-ImportTime {
    if (-not $NoBuild) { Invoke-Build }
    Invoke-FreshPwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tools/bench/Measure-ImportTime.ps1') -ModuleDir $ModuleDir
}

function Invoke-Bench {
    # tools/bench/README.md: the fleet over SSH against the bash baseline, import time, offline
    # rendering, then the in-process simulator. Every figure is a `name: value` line; each script
    # runs in a fresh pwsh. The fleet needs the fake host's packages (as the tests do) and jq.
    # Only the figures go to stdout: what the build and the package installs print (Write-Host) goes to stderr.
    & {
        if (-not $NoBuild) { Invoke-Build }
        Install-TestPrerequisites
        if (-not (Get-Command jq -ErrorAction Ignore)) {
            if ((& id -u) -ne '0') { throw "The benchmark's bash baseline needs jq (apt-get install -y jq)." }
            Invoke-Native apt-get @('install', '-y', '-qq', '--no-install-recommends', 'jq')
        }
    } 6>&1 | ForEach-Object { [Console]::Error.WriteLine([string]$_) }
    $failed = @()
    foreach ($b in 'Measure-Fleet.ps1', 'Measure-ImportTime.ps1', 'Measure-Render.ps1', 'Measure-Deploy.ps1') {
        Invoke-FreshPwsh -NoProfile -NonInteractive -File (Join-Path $Root "tools/bench/$b") -ModuleDir $ModuleDir
        if ($LASTEXITCODE -ne 0) { $failed += $b }
    }
    if ($failed) { throw "Benchmark scripts failed: $($failed -join ', ')." }
}

foreach ($t in $Task) {
    switch ($t) {
        'Clean' { if (Test-Path $Out) { Remove-Item -Recurse -Force $Out } }
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Demo' { Invoke-Demo }
        'Package' { Invoke-Package }
        'FakeHost' { Invoke-FakeHost }
        'ImportTime' { Invoke-ImportTime }
        'Bench' { Invoke-Bench }
    }
}
