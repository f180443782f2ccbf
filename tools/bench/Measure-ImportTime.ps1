<#
.SYNOPSIS
    Prints how much longer a fresh pwsh takes with `Import-Module Phoenix` than without it.
.DESCRIPTION
    Run through build.ps1 -Task ImportTime or -Task Bench. Starts N fresh pwsh processes of each kind,
    alternating, and prints the medians and their difference in milliseconds, one figure a line
    (`name: value`). The goal is import_ms under 300.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDir,
    [int] $Runs = 7
)
$pwsh = (Get-Process -Id $PID).Path; if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq "dotnet") { $pwshArgs0 = @((Join-Path $PSHOME "pwsh.dll")) } else { $pwshArgs0 = @() }
$manifest = Join-Path (Resolve-Path -LiteralPath $ModuleDir).ProviderPath 'Phoenix.psd1'
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
function Ms($values) { ($values | ForEach-Object { [math]::Round($_).ToString([cultureinfo]::InvariantCulture) }) -join ' ' }
$b = Get-Median $bare
$m = Get-Median $withModule
"pwsh_start_ms: $([math]::Round($b)) (median of ${Runs}: $(Ms $bare))"
"pwsh_start_import_ms: $([math]::Round($m)) (median of ${Runs}: $(Ms $withModule))"
"import_ms: $([math]::Round($m - $b))"
