# Phoenix beside other versions of the libraries it ships (issue 12): powershell-yaml brings its own YamlDotNet,
# Posh-SSH its own SSH.NET. On PowerShell 7 Phoenix's engine and libraries live in a load context of their own
# (src/Phoenix.Loader), so both orders work in one session: the other versions loaded first and Phoenix imported
# after, and Phoenix first with the other versions loaded and used after. Each order runs in a fresh pwsh, as a
# loaded assembly cannot be unloaded. The other versions are NuGet packages that build.ps1 restores from
# tests/fixtures/other-library-versions into .packages.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    $packages = Join-Path $env:PHOENIX_REPO_ROOT '.packages'
    $script:other = [ordered]@{
        YamlDotNet  = Join-Path $packages 'yamldotnet/16.3.0/lib/net8.0/YamlDotNet.dll'
        Newtonsoft  = Join-Path $packages 'newtonsoft.json/13.0.1/lib/netstandard2.0/Newtonsoft.Json.dll'
        BouncyCastle = Join-Path $packages 'bouncycastle.cryptography/2.7.0/lib/net6.0/BouncyCastle.Cryptography.dll'
        Logging     = Join-Path $packages 'microsoft.extensions.logging.abstractions/8.0.3/lib/net8.0/Microsoft.Extensions.Logging.Abstractions.dll'
        SshNet      = Join-Path $packages 'ssh.net/2026.0.1/lib/net8.0/Renci.SshNet.dll'
    }
    foreach ($p in $other.Values) {
        if (-not (Test-Path -LiteralPath $p)) { throw "$p is missing: build.ps1 -Task Test restores tests/fixtures/other-library-versions." }
    }
    $script:fake = Start-FakeHost

    # Run in a fresh pwsh; prints one JSON line with what each step saw. -PhoenixFirst: the other order.
    $script:childScript = Join-Path $TestDrive 'other-versions.ps1'
    Set-Content -LiteralPath $childScript -Value @'
param([string] $ModuleDir, [string] $RepoRoot, [string] $OtherJson, [string] $FakeJson, [string] $StateDir, [switch] $PhoenixFirst)
$ErrorActionPreference = 'Stop'
$other = $OtherJson | ConvertFrom-Json
$fake = $FakeJson | ConvertFrom-Json
$seen = [ordered]@{}

function Import-OtherVersions {
    foreach ($p in $other.PSObject.Properties.Value) { Add-Type -LiteralPath $p }
}

# The other versions in use, as the modules that brought them would use them.
function Use-OtherVersions {
    $seen.OtherYaml = [YamlDotNet.Serialization.Serializer]::new().Serialize(@{ answer = 42 }).Trim()
    $seen.OtherYamlVersion = [YamlDotNet.Serialization.Serializer].Assembly.GetName().Version.ToString()
    $seen.OtherJson = [Newtonsoft.Json.JsonConvert]::SerializeObject(@{ answer = 42 })
    $seen.OtherSshVersion = [Renci.SshNet.SshClient].Assembly.GetName().Version.ToString()
    $client = [Renci.SshNet.SshClient]::new($fake.host, [int]$fake.port, $fake.user, [Renci.SshNet.PrivateKeyFile]::new($fake.keyFile))
    try {
        $client.Connect()
        $seen.OtherSshOutput = $client.RunCommand('echo other-ssh').Result.Trim()
    } finally { $client.Dispose() }
}

# Phoenix's three paths that use YamlDotNet, Newtonsoft.Json and SSH.NET.
function Use-Phoenix {
    Import-Module (Join-Path $ModuleDir 'Phoenix.psd1')
    $config = Join-Path $RepoRoot 'examples/phoenix.example.json'
    $doc = Import-PhoenixConfig $config | Select-Object -First 1 | ConvertTo-PhoenixCloudInit
    $seen.RenderFirstLine = ($doc.UserData -split "`n")[0]
    $null = Connect-PhoenixHost -Simulator -StatePath $StateDir
    $results = @(Import-PhoenixConfig $config | Deploy-PhoenixVm -WarningAction SilentlyContinue)
    $seen.DeployStatuses = @($results | ForEach-Object { "$($_.Status)" } | Sort-Object -Unique)
    $seen.DeployCount = $results.Count
    $ssh = Connect-PhoenixHost -HostName $fake.host -Port $fake.port -UserName $fake.user -KeyFile $fake.keyFile `
        -HostKeyFingerprint $fake.hostKeyFingerprint -NoDefault
    try { $seen.SshVmIds = @(Get-PhoenixVm -Session $ssh | ForEach-Object VmId) } finally { Disconnect-PhoenixHost -Session $ssh }
}

if ($PhoenixFirst) { Use-Phoenix; Import-OtherVersions; Use-OtherVersions }
else { Import-OtherVersions; Use-Phoenix; Use-OtherVersions }

# Where each library is: the default context holds the other versions, Phoenix's context its own.
$seen.Contexts = [ordered]@{}
foreach ($context in [System.Runtime.Loader.AssemblyLoadContext]::All) {
    $names = @($context.Assemblies | ForEach-Object GetName | Where-Object Name -In 'YamlDotNet', 'Renci.SshNet', 'Phoenix.Engine', 'Phoenix.PowerShell' |
        ForEach-Object { "$($_.Name) $($_.Version)" } | Sort-Object)
    if ($names) { $seen.Contexts[$context.Name] = $names }
}
$seen | ConvertTo-Json -Compress -Depth 4
'@

    function Invoke-OtherVersionsChild([switch] $PhoenixFirst) {
        $state = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $exe = (Get-Process -Id $PID).Path
        $prefix = @(if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $childArgs = $prefix + @('-NoProfile', '-NonInteractive', '-File', $childScript, '-ModuleDir', $env:PHOENIX_MODULE_DIR,
            '-RepoRoot', $env:PHOENIX_REPO_ROOT, '-OtherJson', ($other | ConvertTo-Json -Compress),
            '-FakeJson', ($fake | ConvertTo-Json -Compress -Depth 4), '-StateDir', $state)
        if ($PhoenixFirst) { $childArgs += '-PhoenixFirst' }
        $out = & $exe @childArgs 2>&1 | ForEach-Object { "$_" }
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $out | Select-Object -Last 1 | ConvertFrom-Json
    }

    function Assert-BothWork($seen) {
        $seen.RenderFirstLine | Should -Be '#cloud-config'
        $seen.DeployCount | Should -Be 4
        $seen.DeployStatuses | Should -Be @('Succeeded')
        $seen.SshVmIds | Should -Contain 9000
        $seen.OtherYaml | Should -Be 'answer: 42'
        $seen.OtherYamlVersion | Should -Be '16.0.0.0'
        $seen.OtherJson | Should -Be '{"answer":42}'
        $seen.OtherSshVersion | Should -Be '2026.0.1.1'
        $seen.OtherSshOutput | Should -Be 'other-ssh'
        $seen.Contexts.Default | Should -Contain 'YamlDotNet 16.0.0.0'
        $seen.Contexts.Default | Should -Contain 'Renci.SshNet 2026.0.1.1'
        $seen.Contexts.Default -match '^Phoenix\.PowerShell ' | Should -HaveCount 1
        $seen.Contexts.Default -match '^Phoenix\.Engine ' | Should -BeNullOrEmpty
        $seen.Contexts.Phoenix -match '^Phoenix\.Engine ' | Should -HaveCount 1
        $seen.Contexts.Phoenix | Should -Contain 'YamlDotNet 18.0.0.0'
        $seen.Contexts.Phoenix | Should -Contain 'Renci.SshNet 2026.0.0.1'
    }
}

AfterAll {
    if ($fake) { Stop-FakeHost $fake }
}

Describe 'Phoenix beside other versions of its libraries' {
    It 'renders, deploys and connects over SSH with YamlDotNet 16.3.0, Newtonsoft.Json 13.0.1 and SSH.NET 2026.0.1 loaded first' {
        Assert-BothWork (Invoke-OtherVersionsChild)
    }

    It 'lets the other versions load and work after Phoenix was imported and used' {
        Assert-BothWork (Invoke-OtherVersionsChild -PhoenixFirst)
    }

    It 'keeps the cmdlets off the isolated libraries: Phoenix.PowerShell.dll references none of them' {
        # A cmdlet that touched a YamlDotNet, Newtonsoft.Json or SSH.NET type itself would bind it in the default
        # context, where it is another module's version or none: the engine must offer what the cmdlets need.
        $cmdlets = Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.PowerShell.dll'
        $refs = [System.Reflection.Assembly]::LoadFile($cmdlets).GetReferencedAssemblies().Name
        $refs | Where-Object { $_ -notin 'netstandard', 'System.Management.Automation', 'Phoenix.Engine', 'Phoenix.Simulator' } | Should -BeNullOrEmpty
    }
}
