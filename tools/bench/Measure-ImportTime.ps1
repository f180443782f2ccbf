<#
.SYNOPSIS
    Prints how much longer a fresh pwsh takes with `Import-Module Phoenix` than without it.
.DESCRIPTION
    Run through build.ps1 -Task ImportTime. Starts N fresh pwsh processes of each kind,
    alternating, and prints the medians and their difference in milliseconds. The goal is a
    difference under 300 ms.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDir,
    [int] $Runs = 7
)
$pwsh = (Get-Process -Id $PID).Path; if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq "dotnet") { $pwshArgs0 = @((Join-Path $PSHOME "pwsh.dll")) } else { $pwshArgs0 = @() }
$manifest = Join-Path $ModuleDir 'Phoenix.psd1'
$bare = [System.Collections.Generic.List[double]]::new()
$withModule = [System.Collections.Generic.List[double]]::new()
# One warm-up of each, so disk caches do not favour whichever runs second.
& $pwsh @pwshArgs0 -NoProfile -NonInteractive -c 1 | Out-Null
& $pwsh @pwshArgs0 -NoProfile -NonInteractive -c "Import-Module '$manifest'" | Out-Null
for ($i = 0; $i -lt $Runs; $i++) {
    $bare.Add((Measure-Command { & $pwsh @pwshArgs0 -NoProfile -NonInteractive -c 1 | Out-Null }).TotalMilliseconds)
    $withModule.Add((Measure-Command { & $pwsh @pwshArgs0 -NoProfile -NonInteractive -c "Import-Module '$manifest'" | Out-Null }).TotalMilliseconds)
}
function Get-Median($values) { $s = $values | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }
$b = Get-Median $bare
$m = Get-Median $withModule
'pwsh -NoProfile -c 1                    median {0,7:N0} ms  (runs: {1})' -f $b, (($bare | ForEach-Object { '{0:N0}' -f $_ }) -join ' ')
'pwsh -NoProfile -c Import-Module Phoenix median {0,7:N0} ms  (runs: {1})' -f $m, (($withModule | ForEach-Object { '{0:N0}' -f $_ }) -join ' ')
'Import-Module Phoenix costs {0:N0} ms (goal: under 300 ms)' -f ($m - $b)
