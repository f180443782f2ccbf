<#
.SYNOPSIS
    Runs the Pester suite against the built module in this fresh pwsh and writes the counts.
    build.ps1 -Task Test calls it; it is not meant to be run in a session that already loaded Phoenix.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModuleDir,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [Parameter(Mandatory)] [string] $ResultsDir,
    [string] $Tag,
    [string] $ExcludeTag,
    # Comma-separated test files; the whole tests/Pester folder when empty.
    [string] $Path
)
$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
Import-Module $PesterPath -Force

# Every test file imports the module from here, so all of them test the built module.
$env:PHOENIX_MODULE_DIR = $ModuleDir
$env:PHOENIX_REPO_ROOT = Split-Path -Parent $PSScriptRoot

$c = New-PesterConfiguration
$c.Run.Path = if ($Path) { $Path -split ',' } else { Join-Path $PSScriptRoot 'Pester' }
$c.Run.PassThru = $true
$c.Output.Verbosity = 'Normal'
$c.TestResult.Enabled = $true
$c.TestResult.OutputPath = Join-Path $ResultsDir 'pester.xml'
$c.TestResult.OutputFormat = 'JUnitXml'
if ($Tag) { $c.Filter.Tag = $Tag -split ',' }
if ($ExcludeTag) { $c.Filter.ExcludeTag = $ExcludeTag -split ',' }
$r = Invoke-Pester -Configuration $c

# Failed blocks (a BeforeAll that threw) fail their tests without counting them as failed: count them.
$failed = $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount
[pscustomobject]@{ Passed = $r.PassedCount; Failed = $failed } | ConvertTo-Json | Set-Content $SummaryPath
