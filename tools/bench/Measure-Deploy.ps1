<#
.SYNOPSIS
    The second section of build.ps1 -Task Bench: Deploy-PhoenixVm of a fleet on the in-process
    simulator (no SSH, no fake host), serial and in parallel, with latencies injected (clone 1 s,
    start 0.5 s, snapshot 0.3 s, agent up 2 s after start). One figure a line (`name: value`).
.DESCRIPTION
    Without SSH and without the fake host's own cost per command, this shows what -ThrottleLimit
    buys in the engine alone: a serial deploy of N VMs costs about N times one VM, a parallel one
    about N / ThrottleLimit times. Also prints the process's peak working set.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDir,
    [int] $VmCount = 12,
    [int[]] $Throttle = @(1, 8)
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
Import-Module (Join-Path (Resolve-Path -LiteralPath $ModuleDir).ProviderPath 'Phoenix.psd1')

$vms = 1..$VmCount | ForEach-Object {
    [ordered]@{ vmid = 500 + $_; name = "bench-$_"; cores = 2; memory_mb = 2048
        network_config = @{ ip = "10.9.0.$($_ + 10)/24"; gw = '10.9.0.1' }; user_config = @{ username = 'bench' }
        snapshots = @{ 'post-features' = $true } }
}
$config = Join-Path ([System.IO.Path]::GetTempPath()) "phoenix-bench-$PID.json"
@{ vms = $vms } | ConvertTo-Json -Depth 6 | Set-Content $config
$faults = @{ latency = @{ clone = 1.0; start = 0.5; snapshot = 0.3 }; agentStartupDelaySeconds = 2 } | ConvertTo-Json

function Figure([string] $name, [double] $value) { "${name}: $([math]::Round($value, 1).ToString([cultureinfo]::InvariantCulture))" }
"inproc_vms: $VmCount"
foreach ($t in $Throttle) {
    $state = Join-Path ([System.IO.Path]::GetTempPath()) "phoenix-bench-$PID-$t"
    $null = New-Item -ItemType Directory -Force $state
    $session = Connect-PhoenixHost -Simulator -StatePath $state
    Set-Content (Join-Path $state 'faults.json') $faults
    $specs = Import-PhoenixConfig -Path $config -WarningAction SilentlyContinue
    $elapsed = (Measure-Command { $r = $specs | Deploy-PhoenixVm -ThrottleLimit $t -WarningAction SilentlyContinue }).TotalSeconds
    $ok = @($r | Where-Object Status -EQ 'Succeeded').Count
    $rerun = (Measure-Command { $r2 = $specs | Deploy-PhoenixVm -ThrottleLimit $t -WarningAction SilentlyContinue }).TotalSeconds
    $unchanged = @($r2 | Where-Object { $_.Status -eq 'Succeeded' -and -not $_.Changed }).Count
    if ($ok -ne $VmCount -or $unchanged -ne $VmCount) { throw "-ThrottleLimit ${t}: $ok of $VmCount deployed, $unchanged unchanged on the re-run." }
    Figure "inproc_t${t}_seconds" $elapsed
    Figure "inproc_t${t}_rerun_seconds" $rerun
    $session | Disconnect-PhoenixHost
    Remove-Item -Recurse -Force $state
}
Remove-Item $config
"inproc_peak_working_set_mib: $([math]::Round((Get-Process -Id $PID).PeakWorkingSet64 / 1MB))"
