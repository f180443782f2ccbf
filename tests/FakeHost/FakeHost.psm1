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

function Get-ChangingCommandPattern {
    <# The commands of the audit log (commands.log) that change a VM or a guest: a run that sends none of them changed nothing. #>
    '^(qm (clone|set|start|stop|shutdown|snapshot|resize|create|template|destroy|rollback|delsnapshot|importdisk|unlock|disk)' +
        '|qm cloudinit update|qm guest exec \d+ --pass-stdin)'
}

function Get-Audit {
    <# The commands the fake host has run so far, one line each, from its audit log (commands.log). #>
    param([Parameter(Mandatory)] $FakeHost)
    $log = Join-Path $FakeHost.stateDir 'commands.log'
    if (Test-Path $log) { Get-Content $log }
}

function Wait-AuditLine {
    <#
    Waits until the fake host's audit log has a line matching -Pattern after its first -Skip lines; returns
    that line, or $null after -TimeoutSec. Lines are written when a command starts, so a match means the
    command is running (or has run). -Until: a script block that also ends the wait when it returns true.
    #>
    param([Parameter(Mandatory)] $FakeHost, [Parameter(Mandatory)] [string] $Pattern, [int] $Skip = 0, [int] $TimeoutSec = 120,
        [scriptblock] $Until)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    $log = Join-Path $FakeHost.stateDir 'commands.log'
    while ([DateTime]::UtcNow -lt $deadline) {
        if (Test-Path $log) {
            $hit = @([System.IO.File]::ReadAllLines($log) | Select-Object -Skip $Skip | Where-Object { $_ -match $Pattern }) | Select-Object -First 1
            if ($hit) { return $hit }
        }
        if ($Until -and (& $Until)) { return $null }
        Start-Sleep -Milliseconds 10
    }
    $null
}

function Get-FakeHostCommandPids {
    <#
    The processes of host commands still running under the fake host's sshd: the qm/pvesm/pvesh a session started,
    which wait for the resident simulator's answer (or the one-shot phoenix-sim of a caller other than root).
    #>
    param([Parameter(Mandatory)] $FakeHost)
    $wrappers = Join-Path $FakeHost.root 'path'
    $sshdPid = [int](Get-Content (Join-Path $FakeHost.root 'sshd/sshd.pid') -TotalCount 1)
    $parents = @{}
    foreach ($d in [System.IO.Directory]::GetDirectories('/proc')) {
        $name = [System.IO.Path]::GetFileName($d)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [System.IO.File]::ReadAllText("$d/stat") } catch { continue }
        $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        $parents[[int]$name] = [int]$fields[1]
    }
    foreach ($p in $parents.Keys) {
        $up = $p
        for ($i = 0; $i -lt 32 -and $up -gt 1; $i++) {
            $up = $parents[$up]
            if ($up -eq $sshdPid) {
                try { $cmd = [System.IO.File]::ReadAllText("/proc/$p/cmdline") } catch { break }
                if ($cmd.Contains('phoenix-sim.dll') -or $cmd.Contains($wrappers)) { $p }
                break
            }
            if ($null -eq $up) { break }
        }
    }
}

function Wait-FakeHostIdle {
    <#
    Waits until no host command runs any more: after a client is killed, the commands it had started go on
    to their end on the host, as qm does when its SSH session drops. Throws after -TimeoutSec.
    #>
    param([Parameter(Mandatory)] $FakeHost, [int] $TimeoutSec = 60)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while (@(Get-FakeHostCommandPids $FakeHost).Count -gt 0) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "The fake host still runs commands after $TimeoutSec s." }
        Start-Sleep -Milliseconds 50
    }
}

function Get-FakeHostState {
    <#
    What an admin would compare after a deploy, as sorted "what: value" lines, with what differs on every run
    taken out (MAC addresses, uuids, vmgenid, creation and snapshot times, process ids): each VM's config file
    with its snapshot sections (qm config and more), whether it runs, the volumes on every storage, the
    snippets and the cloud-init drive contents with their SHA-256, and every file in each guest and in each
    guest snapshot with its SHA-256. Guest logs are records of what ran, not state, and are left out:
    the fake tools' calls.log and the feature runner's logs, pid files and liveness record (runner: pid, boot id and
    start time of the run that made it).
    #>
    param([Parameter(Mandatory)] $FakeHost)
    $node = Join-Path $FakeHost.stateDir 'node'
    $lines = [System.Collections.Generic.List[string]]::new()
    $sha = { param($path) [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([System.IO.File]::ReadAllBytes($path))).ToLowerInvariant() }
    foreach ($conf in Get-ChildItem (Join-Path $node 'etc/pve/nodes/*/qemu-server/*.conf')) {
        $id = $conf.BaseName
        $section = 'current'
        foreach ($l in [System.IO.File]::ReadAllLines($conf.FullName)) {
            if ($l -match '^\[(.+)\]$') { $section = $Matches[1]; continue }
            if ($l -eq '') { continue }
            $l = $l -replace '(?i)\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b', '<mac>' -replace 'uuid=[0-9a-f-]+', 'uuid=<uuid>' `
                -replace '^vmgenid: .*', 'vmgenid: <vmgenid>' -replace 'ctime=\d+', 'ctime=<time>' -replace '^snaptime: \d+', 'snaptime: <time>'
            $lines.Add("vm $id [$section] $l")
        }
        $lines.Add("vm $id running: $(Test-Path (Join-Path $node "var/run/qemu-server/$id.pid"))")
    }
    foreach ($f in Get-ChildItem (Join-Path $node 'var/lib/phoenix-sim/volumes') -Filter *.json -ErrorAction Ignore) {
        $vols = Get-Content -Raw $f.FullName | ConvertFrom-Json -AsHashtable
        foreach ($v in $vols.GetEnumerator()) { $lines.Add("volume $($f.BaseName) $($v.Key) $($v.Value | ConvertTo-Json -Compress -Depth 5)") }
    }
    foreach ($dir in 'var/lib/vz/snippets', 'var/lib/phoenix-sim/cloudinit') {
        $root = Join-Path $node $dir
        foreach ($f in Get-ChildItem $root -Recurse -File -Force -ErrorAction Ignore) {
            $lines.Add("file $dir$($f.FullName.Substring($root.Length)) $(& $sha $f.FullName)")
        }
    }
    $guests = Join-Path $node 'var/lib/phoenix-sim/guests'
    foreach ($g in Get-ChildItem $guests -Directory -ErrorAction Ignore) {
        foreach ($f in Get-ChildItem $g.FullName -Recurse -File -Force) {
            $rel = $f.FullName.Substring($g.FullName.Length)
            if ($rel -notmatch '^(/snapshots/[^/]+)?/fs/' -or $rel -match '/var/log/phoenix-guest/calls\.log$' -or
                $rel -match '/var/lib/phoenix/features/[^/]+\.(log|status\.pid)$' -or
                $rel -match '/var/lib/phoenix/features/runner$') { continue }
            if ($rel -match '/var/lib/phoenix/features\.state$') {
                # The feature runner's record, line by line (a few short lines), so that a difference shows what differs.
                $n = 0
                foreach ($l in [System.IO.File]::ReadAllLines($f.FullName)) { $lines.Add("guest $($g.Name) $rel line $((++$n)): $l") }
                continue
            }
            $lines.Add("guest $($g.Name) $rel $(& $sha $f.FullName)")
        }
    }
    $lines | Sort-Object
}

Export-ModuleMember -Function Get-ChangingCommandPattern, Start-FakeHost, Stop-FakeHost, Test-PortOpen, Start-FakeHostSession, Stop-FakeHostSession, Connect-FakeHost,
    New-FakeHostConnection, Invoke-Remote, Get-Audit, Get-CreatedFiles, Wait-AuditLine, Get-FakeHostCommandPids, Wait-FakeHostIdle, Get-FakeHostState
