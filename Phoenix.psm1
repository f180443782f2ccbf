# Phoenix's root module: imports the cmdlets (Phoenix.PowerShell.dll).
# On PowerShell 7.4 and later (.NET 8 and later) the cmdlets load in the default context and all they use
# (Phoenix's engine and simulator, YamlDotNet, Newtonsoft.Json, SSH.NET, BouncyCastle) in a load context of
# Phoenix's own, set up by Phoenix.Loader.dll: another module's versions of those libraries, loaded before
# Phoenix or after it, cannot collide with Phoenix's. Windows PowerShell 5.1 loads everything from this folder.
if ([Environment]::Version.Major -ge 8) {
    if (-not ('Phoenix.Loader.PhoenixLoadContext' -as [type])) {
        Add-Type -LiteralPath (Join-Path $PSScriptRoot 'Phoenix.Loader.dll')
    }
    [Phoenix.Loader.PhoenixLoadContext]::Initialize($PSScriptRoot)
}
Import-Module (Join-Path $PSScriptRoot 'Phoenix.PowerShell.dll')
