# Every example of `Get-Help <cmdlet> -Examples` (help/*.psd1) runs here against the simulator, so the examples cannot rot.
# Each runs in a runspace of its own, in a sandbox folder holding the files the examples name (cfg.json, fleet.json,
# phoenix.json, phoenix_vm_configs.json, configs/, my-features/, features/, my-templates/), with a default session on a node where
# examples/phoenix.example.json is deployed (VMs 9000, 201, 202, 203). Confirmations are off ($ConfirmPreference = 'None'),
# as when a user answers yes. An example's keys say what to expect:
#   Fails  = 'text'    it demonstrates an error: the first error must contain the text.
#   NotRun = 'reason'  it cannot run here (a real SSH host, a prompt); the reason is shown as the skip reason.
BeforeDiscovery {
    $examples = foreach ($file in Get-ChildItem (Join-Path $env:PHOENIX_REPO_ROOT 'help') -Filter '*-*.psd1' | Sort-Object Name) {
        $help = Import-PowerShellDataFile $file.FullName
        $n = 0
        foreach ($ex in @($help.Examples)) {
            $n++
            @{ Cmdlet = $file.BaseName; Number = $n; Code = $ex.Code; Fails = $ex.Fails; NotRun = $ex.NotRun }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    $script:module = Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1'
    $script:sandbox = Join-Path ([IO.Path]::GetTempPath()) ('phoenix-examples-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $null = New-Item -ItemType Directory $sandbox, "$sandbox/examples", "$sandbox/configs", "$sandbox/my-features", "$sandbox/features"
    $example = Join-Path $env:PHOENIX_REPO_ROOT 'examples/phoenix.example.json'
    Copy-Item $example "$sandbox/examples/"
    foreach ($copy in 'cfg.json', 'fleet.json', 'phoenix.json', 'configs/example.json') { Copy-Item $example (Join-Path $sandbox $copy) }
    $realWorld = Join-Path $env:PHOENIX_REPO_ROOT 'tests/fixtures/realworld-shape/phoenix_vm_configs.json'
    Copy-Item $realWorld "$sandbox/phoenix_vm_configs.json"
    # Stand-ins for the real-world file's own features, in the folders the examples name.
    foreach ($f in (Get-Content -Raw $realWorld | ConvertFrom-Json).vms.features | Sort-Object -Unique) {
        foreach ($d in 'my-features', 'features') {
            Set-Content "$sandbox/$d/feature_install_$f.sh" "#!/bin/sh`n# Description: A stand-in for the help examples.`necho $f"
        }
    }
    Copy-Item -Recurse (Join-Path $env:PHOENIX_MODULE_DIR 'templates/cloud-init') "$sandbox/my-templates"
    $script:state = Join-Path $sandbox 'state'
    $session = Connect-PhoenixHost -Simulator -StatePath $state -NoDefault
    $deployed = Import-PhoenixConfig $example -WarningAction SilentlyContinue | Deploy-PhoenixVm -Session $session -WarningAction SilentlyContinue
    Disconnect-PhoenixHost -Session $session
    $deployed.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
    $script:savedFeaturePath = $env:PHOENIX_FEATURE_PATH
    $script:run = 0
}

AfterAll {
    $env:PHOENIX_FEATURE_PATH = $savedFeaturePath
    Remove-Item -Recurse -Force $sandbox -ErrorAction Ignore
}

Describe 'Help examples' {
    It '<Cmdlet> example <Number> runs on the simulator' -ForEach $examples {
        if ($NotRun) {
            $NotRun | Should -Match '\w+ \w+' -Because 'an example that is not run says why'
            Set-ItResult -Skipped -Because $NotRun
            return
        }
        $script:run++
        $node = Join-Path $sandbox "state-$run"
        Copy-Item -Recurse $state $node
        $env:PHOENIX_FEATURE_PATH = $null
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript(@"
`$PSStyle.OutputRendering = 'PlainText'; `$ProgressPreference = 'SilentlyContinue'; `$ConfirmPreference = 'None'; `$WarningPreference = 'SilentlyContinue'
Import-Module '$module'
Set-Location '$sandbox'
`$null = Connect-PhoenixHost -Simulator -StatePath '$node'
try { & {
$Code
} | Out-String -Width 120 } finally { Get-PhoenixHost | Disconnect-PhoenixHost }
"@)
            $async = $ps.BeginInvoke()
            if (-not $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(60))) {
                $ps.Stop()
                throw "the example did not end within 60 s:`n$Code"
            }
            $failure = $null
            try { $null = $ps.EndInvoke($async) } catch { $failure = $_.Exception.InnerException ?? $_.Exception }
            $errors = @($ps.Streams.Error | ForEach-Object { $_.ToString() }) + @($failure | Where-Object { $_ } | ForEach-Object Message)
            if ($Fails) {
                $errors | Should -Not -BeNullOrEmpty -Because "the example shows an error:`n$Code"
                $errors[0] | Should -BeLike "*$([WildcardPattern]::Escape($Fails))*"
            }
            else {
                $errors | Should -BeNullOrEmpty -Because "the example must run:`n$Code"
            }
        }
        finally {
            $ps.Dispose()
            $env:PHOENIX_FEATURE_PATH = $savedFeaturePath
        }
    }
}
