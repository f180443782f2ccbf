<#
.SYNOPSIS
    The README's demo: deploys examples/phoenix.example.json on Phoenix's in-process Proxmox VE
    simulator and shows the results. Nothing touches a real host, and the simulated guests only
    record the commands they are given; nothing runs on this machine.
#>
param([Parameter(Mandatory)] [string] $ModuleDir)
$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $ModuleDir 'Phoenix.psd1')

$config = Join-Path $PSScriptRoot 'phoenix.example.json'
Write-Host "== Connect-PhoenixHost -Simulator"
$session = Connect-PhoenixHost -Simulator
$session | Format-List HostName, Node, IsSimulator | Out-Host

Write-Host "== Import-PhoenixConfig $([System.IO.Path]::GetFileName($config))"
$specs = Import-PhoenixConfig -Path $config
$specs | Format-Table VmId, Name, IsTemplate, CloneFromVmId, Features | Out-Host

Write-Host "== Deploy-PhoenixVm (first run)"
$first = $specs | Deploy-PhoenixVm -WarningAction SilentlyContinue
$first | Format-Table | Out-Host
foreach ($r in $first | Where-Object Changed) {
    Write-Host "VM $($r.VmId) ($($r.Name)):"
    $r.Changes | ForEach-Object { Write-Host "    $_" }
}

Write-Host "== Deploy-PhoenixVm (second run: converges, changes nothing)"
$second = $specs | Deploy-PhoenixVm -WarningAction SilentlyContinue
$second | Format-Table | Out-Host

Write-Host "== Get-PhoenixVm"
Get-PhoenixVm | Format-Table | Out-Host
Write-Host "== Get-PhoenixSnapshot -VmId 201"
Get-PhoenixSnapshot -VmId 201 | Format-Table | Out-Host

if (@($first | Where-Object Status -NE 'Succeeded').Count -or @($second | Where-Object Changed).Count) {
    Write-Error 'The demo did not deploy cleanly.'
    exit 1
}
