<#
.SYNOPSIS
    Prints how long Deploy-PhoenixVm takes for a fleet on the in-process simulator, serial and in
    parallel, with Proxmox-like latencies injected (clone 1 s, start 0.5 s, snapshot 0.3 s, agent
    up 2 s after start). Run through build.ps1 -Task Bench.
.DESCRIPTION
    The figures show what -ThrottleLimit buys: with the latencies above, a serial deploy of N VMs
    costs about N times one VM; a parallel one about N / ThrottleLimit times, plus the shared
    connection's overhead. Also prints the process's peak working set.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDir,
    [int] $VmCount = 12,
    [int[]] $Throttle = @(1, 4, 8)
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
Import-Module (Join-Path $ModuleDir 'Phoenix.psd1')

$vms = 1..$VmCount | ForEach-Object {
    [ordered]@{ vmid = 500 + $_; name = "bench-$_"; cores = 2; memory_mb = 2048
        network_config = @{ ip = "10.9.0.$($_ + 10)/24"; gw = '10.9.0.1' }; user_config = @{ username = 'bench' }
        snapshots = @{ 'post-features' = $true } }
}
$config = Join-Path ([System.IO.Path]::GetTempPath()) "phoenix-bench-$PID.json"
@{ vms = $vms } | ConvertTo-Json -Depth 6 | Set-Content $config
$faults = @{ latency = @{ clone = 1.0; start = 0.5; snapshot = 0.3 }; agentStartupDelaySeconds = 2 } | ConvertTo-Json

"Deploy-PhoenixVm of $VmCount VMs on the simulator (clone 1 s, start 0.5 s, snapshot 0.3 s, agent 2 s):"
$serial = $null
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
    if ($null -eq $serial) { $serial = $elapsed }
    '  -ThrottleLimit {0,2}: {1,6:N1} s first run ({2} of {3} succeeded), speed-up {5:N1}x; re-run {4,5:N2} s ({6} unchanged)' -f $t, $elapsed, $ok, $VmCount, $rerun, ($serial / $elapsed), $unchanged
    $session | Disconnect-PhoenixHost
    Remove-Item -Recurse -Force $state
}
Remove-Item $config
'Peak working set of this pwsh: {0:N0} MiB' -f ((Get-Process -Id $PID).PeakWorkingSet64 / 1MB)
