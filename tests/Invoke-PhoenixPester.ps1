<#
.SYNOPSIS
    Runs the Pester suite against the built module in this fresh pwsh and writes the counts.
    build.ps1 -Task Test calls it; it is not meant to be run in a session that already loaded Phoenix.
.DESCRIPTION
    With -Workers N (N > 1) and more than one test file, the files run in N pwsh processes at once: this one and
    N-1 children of this script (-WorkerId). Most of the suite waits on SSH, sshd and the fake host's commands, so a
    second process fills the CPU the first leaves idle. The files are a queue, largest first; each worker takes the
    next one when it is done with its last (a claim file in -QueueDir, made once), so the workers end close together.
    Files that share something outside their own temporary folders run as one unit, in one worker, in order (see
    $together). This process's worker prints as it goes; each other worker's output follows once it has finished,
    under a line that names it. pester.xml holds every file's results; the counts are added up.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModuleDir,
    [string] $SummaryPath,
    [Parameter(Mandatory)] [string] $ResultsDir,
    [string] $Tag,
    [string] $ExcludeTag,
    # Comma-separated test files; the whole tests/Pester folder when empty.
    [string] $Path,
    # How many pwsh processes run the files (1: all files in one Invoke-Pester, as before).
    [ValidateRange(1, 8)] [int] $Workers = 1,
    # Internal: a worker started by this script, taking files from -QueueDir.
    [int] $WorkerId,
    [string] $QueueDir
)
$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
Import-Module $PesterPath -Force

# Every test file imports the module from here, so all of them test the built module.
$env:PHOENIX_MODULE_DIR = $ModuleDir
$env:PHOENIX_REPO_ROOT = Split-Path -Parent $PSScriptRoot

function New-RunConfiguration([string[]] $Files, [string] $ResultFile) {
    $c = New-PesterConfiguration
    $c.Run.Path = $Files
    $c.Run.PassThru = $true
    $c.Output.Verbosity = 'Normal'
    $c.TestResult.Enabled = $true
    $c.TestResult.OutputPath = $ResultFile
    $c.TestResult.OutputFormat = 'JUnitXml'
    if ($Tag) { $c.Filter.Tag = $Tag -split ',' }
    if ($ExcludeTag) { $c.Filter.ExcludeTag = $ExcludeTag -split ',' }
    $c
}

# Failed blocks (a BeforeAll that threw) fail their tests without counting them as failed: count them.
function Get-RunCount($r) {
    [pscustomobject]@{ Passed = $r.PassedCount; Failed = $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount }
}

# A worker: takes units (lines of units.txt: files joined by '|') until none is left; writes its counts to worker-<id>.json.
function Invoke-Worker([int] $Id) {
    $units = @(Get-Content -LiteralPath (Join-Path $QueueDir 'units.txt'))
    $passed = 0; $failed = 0
    for ($i = 0; $i -lt $units.Count; $i++) {
        # CreateNew fails when another worker made the claim first: each unit runs once.
        try { [System.IO.File]::Open((Join-Path $QueueDir "claim-$i"), 'CreateNew').Dispose() } catch [System.IO.IOException] { continue }
        $r = Invoke-Pester -Configuration (New-RunConfiguration ($units[$i] -split '\|') (Join-Path $QueueDir "pester-$i.xml"))
        $n = Get-RunCount $r
        $passed += $n.Passed; $failed += $n.Failed
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed } | ConvertTo-Json | Set-Content (Join-Path $QueueDir "worker-$Id.json")
}

if ($WorkerId) {
    Invoke-Worker $WorkerId
    return
}

$files = @(if ($Path) { $Path -split ',' } else { (Get-ChildItem (Join-Path $PSScriptRoot 'Pester') -Filter '*.Tests.ps1').FullName })

if ($Workers -eq 1 -or $files.Count -lt 2) {
    $r = Invoke-Pester -Configuration (New-RunConfiguration $files (Join-Path $ResultsDir 'pester.xml'))
    Get-RunCount $r | ConvertTo-Json | Set-Content $SummaryPath
    return
}

# Files that must not run at the same time stay together: Package and CiExamples both write out/package (build.ps1
# -Task Package), and CiExamples installs from it.
$together = @(, @('Package.Tests.ps1', 'CiExamples.Tests.ps1'))
# Largest first, the fake-host files before the others (they take the longest): the last units to start are short.
$cost = { param($f) (Get-Item -LiteralPath $f).Length * $(if (Select-String -LiteralPath $f -Pattern 'Start-FakeHost' -Quiet) { 4 } else { 1 }) }
$units = [System.Collections.Generic.List[object]]::new()
$placed = @{}
foreach ($group in $together) {
    $members = @($files | Where-Object { (Split-Path -Leaf $_) -in $group })
    if ($members.Count -gt 1) {
        $units.Add([pscustomobject]@{ Files = $members; Cost = ($members | ForEach-Object { & $cost $_ } | Measure-Object -Sum).Sum })
        foreach ($m in $members) { $placed[$m] = $true }
    }
}
foreach ($f in $files) { if (-not $placed[$f]) { $units.Add([pscustomobject]@{ Files = @($f); Cost = (& $cost $f) }) } }
$ordered = @($units | Sort-Object Cost -Descending)

$QueueDir = Join-Path $ResultsDir 'pester-queue'
if (Test-Path $QueueDir) { Remove-Item -Recurse -Force $QueueDir }
$null = New-Item -ItemType Directory -Force $QueueDir
$ordered | ForEach-Object { $_.Files -join '|' } | Set-Content (Join-Path $QueueDir 'units.txt')
$Workers = [Math]::Min($Workers, $ordered.Count)

# The other workers: this script again, in a pwsh like this one, each with its output in worker-<id>.log; a thread
# job of this process starts each and returns its exit code.
$exe = (Get-Process -Id $PID).Path
$prefix = @(if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
$childArgs = @($prefix) + @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath, '-PesterPath', $PesterPath, '-ModuleDir', $ModuleDir,
    '-ResultsDir', $ResultsDir, '-QueueDir', $QueueDir) + @(if ($Tag) { '-Tag', $Tag }) + @(if ($ExcludeTag) { '-ExcludeTag', $ExcludeTag })
$children = @(if ($Workers -gt 1) {
        foreach ($id in 2..$Workers) {
            $job = Start-ThreadJob -ArgumentList $exe, ($childArgs + @('-WorkerId', "$id")), (Join-Path $QueueDir "worker-$id.log") {
                param([string] $Exe, [string[]] $ArgList, [string] $Log)
                & $Exe @ArgList *> $Log
                $LASTEXITCODE
            }
            [pscustomobject]@{ Id = $id; Job = $job; ExitCode = $null }
        }
    })
Write-Host "Pester: $($ordered.Count) units of test files in $Workers workers; worker 1 prints here, the others' output follows when they end."

try {
    Invoke-Worker 1
} finally {
    foreach ($c in $children) { $c.ExitCode = @($c.Job | Receive-Job -Wait -AutoRemoveJob)[-1] }
}

$passed = 0; $failed = 0
foreach ($id in 1..$Workers) {
    if ($id -gt 1) {
        Write-Host ''
        Write-Host "----- Pester worker $id of $Workers -----"
        Get-Content -LiteralPath (Join-Path $QueueDir "worker-$id.log") -ErrorAction Ignore | ForEach-Object { Write-Host $_ }
    }
    $json = Join-Path $QueueDir "worker-$id.json"
    if (Test-Path $json) {
        $n = Get-Content -Raw $json | ConvertFrom-Json
        $passed += $n.Passed; $failed += $n.Failed
    } else {
        Write-Host "Pester worker $id ended without its counts (exit code $(($children | Where-Object Id -EQ $id).ExitCode)): counted as a failure."
        $failed += 1
    }
}
# A unit no worker took (the workers died before it) is a failure too; one that died in a unit has no counts above.
for ($i = 0; $i -lt $ordered.Count; $i++) {
    if (-not (Test-Path (Join-Path $QueueDir "claim-$i"))) {
        Write-Host "Pester: no worker ran $($ordered[$i].Files -join ', '): counted as a failure."
        $failed += 1
    }
}

# One pester.xml: every unit's <testsuite> elements under one <testsuites>, its totals added up.
$merged = $null
for ($i = 0; $i -lt $ordered.Count; $i++) {
    $xml = Join-Path $QueueDir "pester-$i.xml"
    if (-not (Test-Path $xml)) { continue }
    $doc = [xml](Get-Content -Raw -LiteralPath $xml)
    if (-not $merged) { $merged = $doc; continue }
    foreach ($suite in @($doc.DocumentElement.ChildNodes | Where-Object LocalName -EQ 'testsuite')) {
        $null = $merged.DocumentElement.AppendChild($merged.ImportNode($suite, $true))
    }
    foreach ($a in 'tests', 'errors', 'failures', 'disabled') {
        $merged.DocumentElement.SetAttribute($a, [string]([int]$merged.DocumentElement.GetAttribute($a) + [int]$doc.DocumentElement.GetAttribute($a)))
    }
    $time = [double]::Parse($merged.DocumentElement.GetAttribute('time'), [cultureinfo]::InvariantCulture) +
        [double]::Parse($doc.DocumentElement.GetAttribute('time'), [cultureinfo]::InvariantCulture)
    $merged.DocumentElement.SetAttribute('time', $time.ToString('0.000', [cultureinfo]::InvariantCulture))
}
if ($merged) { $merged.Save((Join-Path $ResultsDir 'pester.xml')) }

Write-Host "Pester, all workers: $passed passed, $failed failed"
[pscustomobject]@{ Passed = $passed; Failed = $failed } | ConvertTo-Json | Set-Content $SummaryPath
