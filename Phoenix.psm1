# Phoenix's root module: imports the cmdlets (Phoenix.PowerShell.dll).
# On PowerShell 7.4 and later (.NET 8 and later) the cmdlets load in the default context and all they use
# (Phoenix's engine and simulator, YamlDotNet, Newtonsoft.Json, SSH.NET, BouncyCastle) in a load context of
# Phoenix's own, set up by Phoenix.Loader.dll: another module's versions of those libraries, loaded before
# Phoenix or after it, cannot collide with Phoenix's. The context must exist before PowerShell reads the cmdlets'
# types, which name the engine's: so it is set up here, not by the cmdlets' assembly. Windows PowerShell 5.1
# loads everything from this folder.
# Import time counts (tools/bench, import_ms): the loader is loaded and called directly (Assembly.LoadFrom
# returns the loaded copy on a second import; Initialize does nothing the second time), not with Add-Type or a
# type-name lookup, which cost tens of milliseconds each.
if ([Environment]::Version.Major -ge 8) {
    [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($PSScriptRoot, 'Phoenix.Loader.dll')).
        GetType('Phoenix.Loader.PhoenixLoadContext', $true).GetMethod('Initialize').Invoke($null, @($PSScriptRoot))
}
Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Phoenix.PowerShell.dll'))
