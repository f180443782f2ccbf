<#
.SYNOPSIS
    Prints how fast Phoenix renders cloud-init offline: 10,000 VMs' user-data and network-config,
    one figure a line (`name: value`). Run through build.ps1 -Task Bench.
.DESCRIPTION
    A config of -VmCount VMs (static address, gateway, nameservers, search domain, a user with an
    SSH key and a password hash) is read with Import-PhoenixConfig, offline, then every VM goes
    through ConvertTo-PhoenixCloudInit (render, quote, parse back) in one pipeline. The timed part is
    the rendering, in a fresh pwsh (the first VMs pay the JIT). The goal is 5,000 VMs a second.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDir,
    [int] $VmCount = 10000
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path (Resolve-Path -LiteralPath $ModuleDir).ProviderPath 'Phoenix.psd1')

$key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILKRw/TTzFW5S5SUS3Z3zq2QYL3DigG3JDIIwGeLdZui admin@example.lab'
$hash = '$6$DVvtpNLYmiNW0q0Y$KBuYfzShY6tpT.uplmSKR/AaFgRfJr8CalEHGE27bc822fs7Pc8DZJVSuZKUFLRF1VNcpyCmmugaBhPZG0fVU.'
$vms = for ($i = 0; $i -lt $VmCount; $i++) {
    [ordered]@{ vmid = 100000 + $i; name = "render-$i"
        network_config = [ordered]@{ ip = "10.$([math]::Floor($i / 250) % 250).$($i % 250 + 2).10/16"; gw = "10.$([math]::Floor($i / 250) % 250).0.1" } }
}
$config = Join-Path ([System.IO.Path]::GetTempPath()) "phoenix-render-$PID.json"
try {
    [ordered]@{
        vm_defaults = [ordered]@{
            network_config = [ordered]@{ nameservers = @('10.0.0.13', '1.1.1.1'); searchdomain = 'lab.example' }
            user_config = [ordered]@{ username = 'phoenix'; password_hash = $hash; ssh_public_key = $key }
        }
        vms = @($vms)
    } | ConvertTo-Json -Depth 8 | Set-Content $config
    $import = [System.Diagnostics.Stopwatch]::StartNew()
    $specs = @(Import-PhoenixConfig -Path $config -WarningAction SilentlyContinue)
    $import.Stop()
    $render = [System.Diagnostics.Stopwatch]::StartNew()
    $docs = @($specs | ConvertTo-PhoenixCloudInit)
    $render.Stop()
} finally {
    Remove-Item $config -ErrorAction Ignore
}
if ($docs.Count -ne $VmCount -or -not $docs[-1].UserData.StartsWith('#cloud-config')) { throw "Rendered $($docs.Count) documents for $VmCount VMs." }
"render_vms: $VmCount"
"render_seconds: $([math]::Round($render.Elapsed.TotalSeconds, 2).ToString([cultureinfo]::InvariantCulture))"
"render_vms_per_second: $([math]::Round($VmCount / $render.Elapsed.TotalSeconds))"
"config_import_vms_per_second: $([math]::Round($VmCount / $import.Elapsed.TotalSeconds))"
