# Starts and stops the fake Proxmox host for Pester tests: the same script `build.ps1 -Task FakeHost` runs.

# Get-PhoenixType: the engine's types, in Phoenix's own load context on PowerShell 7.
Import-Module (Join-Path $PSScriptRoot '../Pester/TestHelpers.psm1')

function Start-FakeHost {
    <#
    Starts a fake host exactly as `build.ps1 -Task FakeHost` does (the build is already done by the test run).
    -Nodes N: a cluster of N nodes; the result's .nodes has each node's endpoint. -LoginUsers: also the non-root
    login users phoenix-sudo (with a sudoers rule) and phoenix-nosudo, as .sudoUser and .noSudoUser.
    #>
    param([switch] $Empty, [int] $Nodes = 1, [switch] $LoginUsers)
    $line = & (Join-Path $env:PHOENIX_REPO_ROOT 'build.ps1') -Task FakeHost -NoBuild -EmptyNode:$Empty -Nodes $Nodes -LoginUsers:$LoginUsers
    if ($LASTEXITCODE -ne 0) { throw "build.ps1 -Task FakeHost failed: $line" }
    return ($line | Select-Object -Last 1 | ConvertFrom-Json)
}

function Test-PortOpen {
    <# True while something accepts TCP connections on 127.0.0.1:$Port. #>
    param([Parameter(Mandatory)] [int] $Port)
    try { $c = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $Port); $c.Dispose(); return $true }
    catch { return $false }
}

function Stop-FakeHost {
    param([Parameter(Mandatory)] $FakeHost)
    $ports = if ($FakeHost.PSObject.Properties['nodes']) { @($FakeHost.nodes.port) } else { @($FakeHost.port) }
    # SIGTERM, so the supervisor's trap stops sshd (Stop-Process sends SIGKILL, which no trap sees).
    & kill -TERM $FakeHost.pid 2>$null
    # The supervisor stops every sshd; wait until the ports are closed so the next test starts clean, and
    # fail loudly when one stays open: a leaked server must not go unnoticed.
    for ($i = 0; $i -lt 100; $i++) {
        $open = @($ports | Where-Object { Test-PortOpen $_ })
        if (-not $open) { Remove-Item -Recurse -Force $FakeHost.root -ErrorAction Ignore; return }
        Start-Sleep -Milliseconds 100
    }
    throw "The fake host's port(s) $($open -join ', ') did not close after its supervisor (pid $($FakeHost.pid)) was told to stop."
}

function Start-FakeHostSession {
    <#
    The set-up of a test file on the fake host: the host (-Empty for a node without template 9000), a session on
    it, and Phoenix's own SSH transport to it for raw commands (Invoke-Remote). Stop-FakeHostSession undoes it.
    #>
    param([switch] $Empty)
    $fake = Start-FakeHost -Empty:$Empty
    [pscustomobject]@{ Fake = $fake; Session = (Connect-FakeHost $fake); Ssh = (New-FakeHostConnection $fake) }
}

function Stop-FakeHostSession {
    <# Closes the transport and the session and stops the fake host; what was never started is passed over. #>
    param($Run)
    if (-not $Run) { return }
    if ($Run.Ssh) { $Run.Ssh.Dispose() }
    if ($Run.Session) { $Run.Session | Disconnect-PhoenixHost }
    if ($Run.Fake) { Stop-FakeHost $Run.Fake }
}

function Connect-FakeHost {
    <# A session on the fake host; -UserName another login user than the one that started it (with -UseSudo, for example). #>
    param([Parameter(Mandatory)] $FakeHost, [string] $UserName = $FakeHost.user, [switch] $UseSudo, [string] $Node)
    $more = @{}
    if ($Node) { $more.Node = $Node }
    Connect-PhoenixHost -HostName $FakeHost.host -Port $FakeHost.port -UserName $UserName -KeyFile $FakeHost.keyFile `
        -HostKeyFingerprint $FakeHost.hostKeyFingerprint -UseSudo:$UseSudo @more
}

function New-FakeHostConnection {
    <# Phoenix's own SSH transport to the fake host (or to one node's entry of a cluster's .nodes), for tests that check raw qm output. #>
    param([Parameter(Mandatory)] $FakeHost)
    $o = (Get-PhoenixType Phoenix.Engine.Transport.SshConnectionOptions)::new()
    $o.HostName = $FakeHost.host; $o.Port = $FakeHost.port; $o.UserName = $FakeHost.user
    $o.KeyFile = $FakeHost.keyFile; $o.HostKeyFingerprint = $FakeHost.hostKeyFingerprint
    (Get-PhoenixType Phoenix.Engine.Transport.SshHostConnection)::ConnectAsync($o).GetAwaiter().GetResult()
}

function Invoke-Remote {
    param([Parameter(Mandatory)] $Connection, [Parameter(Mandatory)] [string[]] $Command)
    $cmd = (Get-PhoenixType Phoenix.Engine.Transport.RemoteCommand)::new($Command[0], [string[]]@($Command | Select-Object -Skip 1))
    $Connection.RunAsync($cmd, [TimeSpan]::FromSeconds(60)).GetAwaiter().GetResult()
}

function Get-CreatedFiles {
    <#
    The files the fake host's mktemp created, each with the mode and owner it had at creation, before anything was
    written to it (from <state>/created.log): objects with Mode ('600'), Owner and Path.
    #>
    param([Parameter(Mandatory)] $FakeHost)
    $log = Join-Path $FakeHost.stateDir 'created.log'
    if (-not (Test-Path $log)) { return }
    foreach ($line in Get-Content $log) {
        $mode, $owner, $path = $line -split ' ', 3
        [pscustomobject]@{ Mode = $mode; Owner = $owner; Path = $path }
    }
}

function Get-Audit {
    <# The commands the fake host has run so far, one line each, from its audit log (commands.log). #>
    param([Parameter(Mandatory)] $FakeHost)
    $log = Join-Path $FakeHost.stateDir 'commands.log'
    if (Test-Path $log) { Get-Content $log }
}

Export-ModuleMember -Function Start-FakeHost, Stop-FakeHost, Test-PortOpen, Start-FakeHostSession, Stop-FakeHostSession, Connect-FakeHost,
    New-FakeHostConnection, Invoke-Remote, Get-Audit, Get-CreatedFiles
