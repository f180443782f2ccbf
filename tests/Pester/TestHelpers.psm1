# Shared helpers for the Pester suite: test secrets, simulated nodes, servers the tests start on
# 127.0.0.1 and stop by PID, child pwsh processes, and what -WhatIf writes to the host.

# Made for tests with ssh-keygen and openssl passwd -6; the private halves and the password were thrown away.
$script:TestSecrets = [pscustomobject]@{
    Ed25519Key   = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGTu4sFs9wPOADX2g1CCwUmJPX5LNRd9e/q419dxfzL admin@phoenix'
    EcdsaKey     = 'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBJcHC50u6lmEG+ZYqYOrx4+YZK9uIvGl4Om8wWfgfsyf+' +
                   'lrCOor2oGBR+SXXR2eMxiku++r299M+/aVnRxitsPeF2l7AJRjJiVbBk04o0xUrO3uKuWRYB4aOe6s0I7ORvQ== ec@phoenix'
    PasswordHash = '$6$Ph0enixSaltX$ftJwDSr61U2rxoivlCCQi2XmsSIyQ5LVwSH1XRbCfEx1pbGDv6ZQ/0/jXhAFe/s2ZurgrM1kE.PGyCfneeR9F/'
}

function Get-TestSecret {
    <# The test SSH public keys (Ed25519Key, EcdsaKey) and crypt password hash (PasswordHash) every test file uses. #>
    $script:TestSecrets
}

function Get-PhoenixType {
    <#
    A type of Phoenix's engine or simulator (Phoenix.Engine.Config.VmSpec), or of a library they use (-Assembly
    YamlDotNet). On PowerShell 7 those load in Phoenix's own load context, which type literals such as
    [Phoenix.Engine.Config.VmSpec] do not reach: the module must be imported first. The cmdlets' own types
    ([Phoenix.PowerShell.PhoenixVm]) are in the default context, and literals work for them.
    #>
    param([Parameter(Mandatory)] [string] $Name, [string] $Assembly)
    if (-not $Assembly) { $Assembly = ($Name -split '\.')[0..1] -join '.' }
    $context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'Phoenix'
    if (-not $context) { throw "Phoenix's load context is not there: import the module before asking for $Name." }
    $context.LoadFromAssemblyName([System.Reflection.AssemblyName]::new($Assembly)).GetType($Name, $true)
}

function Start-SimulatorNode {
    <#
    A simulated node kept in a state folder of its own, with a session on it (-NoDefault keeps the module's
    default session as it is) and a second simulator on the same folder that plays the admin at the host's
    shell (Invoke-OnNode, Get-NodeFile), behind Phoenix's back. Guest agents answer at once. -Vm clones the
    given VMID = name pairs from template 9000 (in order), -Running starts them, -Empty seeds no guests and
    -ZfsStorage adds a ZFS pool storage of that name besides local and local-lvm.
    #>
    param([System.Collections.Specialized.OrderedDictionary] $Vm, [switch] $Running, [switch] $Empty, [string] $ZfsStorage, [switch] $NoDefault)
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-node-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $opts = (Get-PhoenixType Phoenix.Simulator.SimulatorOptions)::new()
    $opts.StateDirectory = $dir
    $opts.AgentStartupDelay = [TimeSpan]::Zero
    $opts.Empty = $Empty.IsPresent
    if ($ZfsStorage) { $opts.ZfsStorages.Add($ZfsStorage) }
    $node = [pscustomobject]@{ Dir = $dir; Sim = (Get-PhoenixType Phoenix.Simulator.ProxmoxSimulator)::new($opts); Session = $null }
    if ($Vm) {
        # GetEnumerator: an int key would index the ordered dictionary by position.
        foreach ($e in $Vm.GetEnumerator()) {
            $null = Invoke-OnNode $node 'qm', 'clone', '9000', "$($e.Key)", '--name', $e.Value
            if ($Running) { $null = Invoke-OnNode $node 'qm', 'start', "$($e.Key)" }
        }
    }
    $node.Session = Connect-PhoenixHost -Simulator -StatePath $dir -NoDefault:$NoDefault
    $node
}

function Stop-SimulatorNode {
    <# Closes the node's session and removes its state folder. #>
    param([Parameter(Mandatory)] $Node)
    if ($Node.Session) { Disconnect-PhoenixHost -Session $Node.Session }
    Remove-Item -Recurse -Force $Node.Dir -ErrorAction Ignore
}

function Invoke-OnNode {
    <# Runs qm, pvesm or pvesh on the node directly (not through Phoenix); returns stdout, throws when it fails. #>
    param([Parameter(Mandatory)] $Node, [Parameter(Mandatory)] [string[]] $Argv)
    $r = $Node.Sim.Execute($Argv, [byte[]]::new(0), [System.Threading.CancellationToken]::None)
    if ($r.ExitCode -ne 0) { throw "$($Argv -join ' ') failed: $($r.StdErr)" }
    $r.StdOut
}

function Get-NodeFile {
    <# A file of the node as text, or $null when it is not there. #>
    param([Parameter(Mandatory)] $Node, [Parameter(Mandatory)] [string] $Path)
    $bytes = $Node.Sim.Store.ReadFile($Path)
    if ($null -eq $bytes) { return $null }
    [System.Text.Encoding]::UTF8.GetString($bytes)
}

function Get-HostOutput {
    <#
    Runs a script block and returns what it wrote to the host as text: -WhatIf writes there, not to a stream,
    and a transcript catches it. The script block's own output is returned too, as .Output.
    #>
    param([Parameter(Mandatory)] [scriptblock] $Script)
    $path = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-host-' + [guid]::NewGuid().ToString('n') + '.txt')
    $null = Start-Transcript -LiteralPath $path -UseMinimalHeader
    try { $out = & $Script } finally { $null = Stop-Transcript }
    $text = Get-Content -Raw -LiteralPath $path
    Remove-Item -LiteralPath $path -ErrorAction Ignore
    [pscustomobject]@{ Output = $out; Text = $text }
}

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

Export-ModuleMember -Function Get-TestSecret, Get-PhoenixType, Start-SimulatorNode, Stop-SimulatorNode, Invoke-OnNode, Get-NodeFile, Get-HostOutput,
    Start-TestSshd, Stop-TestServer, Get-FreeTcpPort, Invoke-ChildPwsh, Start-ChildPwsh
