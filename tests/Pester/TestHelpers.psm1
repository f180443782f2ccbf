# Shared helpers for the Pester suite: servers the tests start on 127.0.0.1 and stop by PID.

function Start-TestSshd {
    <# Starts a throwaway OpenSSH server on 127.0.0.1 (own config, host key, client key, port). #>
    param([string[]] $PathPrepend, [string[]] $SetEnv)
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("phoenix-sshd-" + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $null = New-Item -ItemType Directory $dir
    $sshdArgs = @('start', $dir)
    foreach ($p in $PathPrepend) { $sshdArgs += @('--path-prepend', $p) }
    foreach ($e in $SetEnv) { $sshdArgs += @('--setenv', $e) }
    $line = & bash (Join-Path $env:PHOENIX_REPO_ROOT 'tools/test-sshd.sh') @sshdArgs
    if ($LASTEXITCODE -ne 0) { throw "test-sshd.sh failed: $line" }
    return ($line | Select-Object -Last 1 | ConvertFrom-Json)
}

function Stop-TestServer {
    <# Stops a server started by these helpers, by its PID. #>
    param([Parameter(Mandatory)] $Server)
    if ($Server.pid) {
        Stop-Process -Id $Server.pid -Force -ErrorAction Ignore
        Wait-Process -Id $Server.pid -Timeout 10 -ErrorAction Ignore
    }
}

function Get-FreeTcpPort {
    $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
    return $port
}

# The command line of a fresh pwsh like this one, running $Script with the built module imported.
# Run as a dotnet tool, this process is `dotnet pwsh.dll`, so the child is started the same way.
function Get-ChildPwshCommand([string] $Script) {
    $exe = (Get-Process -Id $PID).Path
    $prefix = @(if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    $full = "`$ErrorActionPreference = 'Stop'; `$ProgressPreference = 'SilentlyContinue'; `$PSStyle.OutputRendering = 'PlainText'; " +
        "Import-Module (Join-Path `$env:PHOENIX_MODULE_DIR 'Phoenix.psd1'); $Script"
    $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($full))
    [pscustomobject]@{ FilePath = $exe; Arguments = $prefix + @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded) }
}

function Invoke-ChildPwsh {
    <#
    Runs a script in a fresh pwsh with the built module imported and returns everything it wrote
    (host output included: -WhatIf messages go to the host, which a test cannot capture in-process).
    #>
    param([Parameter(Mandatory)] [string] $Script)
    $c = Get-ChildPwshCommand $Script
    $out = & $c.FilePath @($c.Arguments) 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out | Out-String) }
}

function Start-ChildPwsh {
    <# Starts a script in a fresh pwsh with the built module imported, in the background; returns the process. #>
    param([Parameter(Mandatory)] [string] $Script)
    $c = Get-ChildPwshCommand $Script
    Start-Process -FilePath $c.FilePath -ArgumentList $c.Arguments -PassThru -RedirectStandardOutput ([System.IO.Path]::GetTempFileName())
}

Export-ModuleMember -Function Start-TestSshd, Stop-TestServer, Get-FreeTcpPort, Invoke-ChildPwsh, Start-ChildPwsh
