<#
.SYNOPSIS
    The fleet benchmark over real SSH: 16 VMs on a fake Proxmox host with a real node's latencies,
    deployed by tools/bench/baseline.sh (the bash way) and by Deploy-PhoenixVm at -ThrottleLimit 1 and
    8, then a converged re-run. Prints one figure a line as `name: value`. Run through
    build.ps1 -Task Bench; tools/bench/README.md explains every figure.
.DESCRIPTION
    Each deploy gets a fresh fake host (build.ps1 -Task FakeHost -NoBuild) with the same faults.json.
    The host's command log (commands.log), its sshd log and Phoenix's transport are the meters; the
    VMs the three deploys made are compared (qm config without MACs and uuids, snapshots, snippets).
    Progress goes to stderr; the logs of every run are kept in -OutDir.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDir,
    [string] $OutDir = (Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'out/bench'),
    [int] $VmCount = 16,
    [int] $Throttle = 8,
    [int] $FirstVmId = 201,
    # Only the -ThrottleLimit run and its re-run (no baseline, no -ThrottleLimit 1): a quick look at a change.
    [switch] $Quick
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
$repo = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
$ModuleDir = (Resolve-Path -LiteralPath $ModuleDir).ProviderPath
Import-Module (Join-Path $ModuleDir 'Phoenix.psd1')
Import-Module (Join-Path $PSScriptRoot 'BenchLog.psm1')
# The module's own YamlDotNet, to read the snippets back (the comparison of the runs' VMs).
Add-Type -LiteralPath (Join-Path $ModuleDir 'YamlDotNet.dll')

# ---- The host's costs (a real node's, as the benchmark models them) ----------------------------
$latency = [ordered]@{ clone = 2.0; start = 1.0; snapshot = 0.5; '*' = 0.3 }
$agentSeconds = 1.0       # the guest agent answers 1 s after `qm start` returns
$pollSeconds = 1.0        # qm guest exec asks guest-exec-status once a second (Proxmox's qm.pm)
$featureSeconds = 1.0     # the feature sleeps 1 s
$faults = [ordered]@{ latency = $latency; agentStartupDelaySeconds = $agentSeconds; guestExecPollSeconds = $pollSeconds } | ConvertTo-Json

function Say([string] $text) { [Console]::Error.WriteLine("[bench $(Get-Date -Format HH:mm:ss)] $text") }
function Figure([string] $name, $value) { "${name}: $value" }
function Seconds([double] $s) { [math]::Round($s, 1).ToString([cultureinfo]::InvariantCulture) }
function Ratio([double] $r) { [math]::Round($r, 2).ToString([cultureinfo]::InvariantCulture) }

if (Test-Path $OutDir) { Remove-Item -Recurse -Force $OutDir }
$null = New-Item -ItemType Directory -Force $OutDir
$work = Join-Path $OutDir 'fleet'
$null = New-Item -ItemType Directory -Force $work

# ---- The fleet ----------------------------------------------------------------------------------
& ssh-keygen -q -t ed25519 -N '' -C 'bench@phoenix' -f (Join-Path $work 'guest_key') | Out-Null
$guestKey = (Get-Content -Raw (Join-Path $work 'guest_key.pub')).Trim()
$features = Join-Path $work 'features'
$null = New-Item -ItemType Directory -Force $features
@'
#!/usr/bin/env bash
# Description: The benchmark's feature: one second of work, then it reports a change.
sleep 1
echo PHOENIX_CHANGED=1
'@ | Set-Content -NoNewline:$false (Join-Path $features 'feature_install_bench.sh')
$vmIds = @(0..($VmCount - 1) | ForEach-Object { $FirstVmId + $_ })
$config = Join-Path $work 'fleet.json'
[ordered]@{
    vm_defaults = [ordered]@{
        features = @('bench')
        snapshots = [ordered]@{ 'post-features' = $true }
        network_config = [ordered]@{ nameservers = @('10.9.0.1'); searchdomain = 'bench.lab' }
        user_config = [ordered]@{ username = 'bench'; ssh_public_key = $guestKey }
    }
    vms = @($vmIds | ForEach-Object {
            [ordered]@{ vmid = $_; name = ('bench-{0:d2}' -f ($_ - $FirstVmId + 1)); network_config = [ordered]@{ ip = "10.9.0.$($_ - $FirstVmId + 11)/24"; gw = '10.9.0.1' } }
        })
} | ConvertTo-Json -Depth 8 | Set-Content $config

# ---- Fake hosts -----------------------------------------------------------------------------------
# Fresh fake hosts as the tests start them (tests/FakeHost/FakeHost.psm1: build.ps1 -Task FakeHost -NoBuild).
$env:PHOENIX_REPO_ROOT = $repo
Import-Module (Join-Path $repo 'tests/FakeHost/FakeHost.psm1')

function Start-BenchHost([string] $name) {
    $h = Start-FakeHost
    Set-Content (Join-Path $h.stateDir 'faults.json') $faults
    # The host writes when each command began and ended into timeline.log once the file exists (Program.AppendTimeline).
    Set-Content (Join-Path $h.stateDir 'timeline.log') -Value $null
    # For ssh: the pinned host key and the client key, no connection sharing, nothing from ~/.ssh.
    $pub = (Get-Content (Join-Path $h.root 'sshd/host_ed25519_key.pub')) -split ' '
    $known = Join-Path $work "$name.known_hosts"
    Set-Content $known "[127.0.0.1]:$($h.port) $($pub[0]) $($pub[1])"
    $sshConfig = Join-Path $work "$name.ssh_config"
    Set-Content $sshConfig @"
Host fakehost
  HostName 127.0.0.1
  Port $($h.port)
  User $($h.user)
  IdentityFile $($h.keyFile)
  IdentitiesOnly yes
  UserKnownHostsFile $known
  StrictHostKeyChecking yes
  ControlMaster no
  ControlPath none
  LogLevel ERROR
"@
    $h | Add-Member -NotePropertyName SshConfig -NotePropertyValue $sshConfig -PassThru |
        Add-Member -NotePropertyName Name -NotePropertyValue $name -PassThru
}

function Get-TimelineLines($h) {
    $log = Join-Path $h.stateDir 'timeline.log'
    if (Test-Path $log) { @(Get-Content $log) } else { @() }
}

function Get-CommandLines($h) {
    $log = Join-Path $h.stateDir 'commands.log'
    if (Test-Path $log) { @(Get-Content $log) } else { @() }
}

# sshd logs one "Accepted publickey" line for every connection it lets in.
function Get-SshdAccepted($h) {
    @(Select-String -Path (Join-Path $h.root 'sshd/sshd.log') -Pattern '^Accepted publickey for ').Count
}

# The connections Phoenix's transport opened (SshHostConnection.ConnectionsOpened behind the session).
function Get-TransportConnections($session) {
    $p = $session.GetType().GetProperty('Connection', [System.Reflection.BindingFlags]'Instance,NonPublic,Public')
    $c = if ($p) { $p.GetValue($session) }
    if ($c -and $c.PSObject.Properties['ConnectionsOpened']) { return $c.ConnectionsOpened }
    return 'n/a'
}

# CPU seconds of a process and of its children that have ended (/proc/<pid>/stat: utime, stime,
# cutime, cstime). For the client: this pwsh (Phoenix's threads; bash and ssh for the baseline).
$ticks = [double](& getconf CLK_TCK)
function Get-CpuSeconds([int] $ProcessId) {
    $stat = Get-Content -Raw "/proc/$ProcessId/stat"
    $f = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
    ([double]$f[11] + [double]$f[12] + [double]$f[13] + [double]$f[14]) / $ticks
}

# For the host: its sshd, once the connections have ended (each connection's sshd hands its CPU and its
# commands' - shells, phoenix-sim - to the listening sshd when it exits). Guest programs, which
# phoenix-sim starts detached, are not in it.
function Get-HostCpuSeconds($h) {
    $sshd = [int](Get-Content (Join-Path $h.root 'sshd/sshd.pid'))
    for ($i = 0; $i -lt 100; $i++) {
        $children = Get-Content -Raw "/proc/$sshd/task/$sshd/children" -ErrorAction Ignore
        if (-not $children -or -not $children.Trim()) { break }
        Start-Sleep -Milliseconds 100
    }
    Get-CpuSeconds $sshd
}

# ---- What a deploy made: compared between the runs ------------------------------------------------
# A YAML document as canonical JSON: plain scalars resolved as YAML's core schema does (bool, null,
# int, float), quoted ones as strings; key order kept (both sides come from the same templates).
function ConvertTo-CanonicalYaml([string] $text) {
    $stream = [YamlDotNet.RepresentationModel.YamlStream]::new()
    $stream.Load([System.IO.StringReader]::new($text))
    function Walk($node) {
        if ($node -is [YamlDotNet.RepresentationModel.YamlMappingNode]) {
            $o = [ordered]@{}
            foreach ($kv in $node.Children) { $o[[string]$kv.Key.Value] = Walk $kv.Value }
            return $o
        }
        if ($node -is [YamlDotNet.RepresentationModel.YamlSequenceNode]) { return , @(foreach ($n in $node.Children) { Walk $n }) }
        $v = $node.Value
        if ($node.Style -ne [YamlDotNet.Core.ScalarStyle]::Plain) { return $v }
        if ($v -cmatch '^(true|True|TRUE|false|False|FALSE)$') { return $v -ieq 'true' }
        if ($v -cmatch '^(null|Null|NULL|~|)$') { return $null }
        if ($v -match '^[-+]?[0-9]+$') { return [long]$v }
        return $v
    }
    if ($stream.Documents.Count -eq 0) { return 'null' }
    return (Walk $stream.Documents[0].RootNode) | ConvertTo-Json -Depth 20 -Compress
}

# Per VM: qm config without what every clone makes new (MACs, smbios1 uuid, vmgenid, meta ctime),
# the snapshot tree without times, and each snippet file's content as canonical YAML.
function Get-FleetState($h) {
    $qm = Join-Path $h.root 'path/qm'
    $snippets = Join-Path $h.stateDir 'node/var/lib/vz/snippets'
    $state = [ordered]@{}
    foreach ($id in $vmIds) {
        $conf = & $qm config $id 2>&1 | ForEach-Object {
            $l = [string]$_
            if ($l -match '^(smbios1|vmgenid|meta|digest):') { return }
            $l -replace '\b(virtio|e1000|rtl8139|vmxnet3)=[0-9A-Fa-f:]{17}', '$1=<mac>'
        }
        $snaps = & $qm listsnapshot $id 2>&1 | ForEach-Object { ([string]$_ -replace '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', '<time>') -replace '\s+', ' ' }
        $files = @(Get-ChildItem $snippets -File -ErrorAction Ignore | Where-Object Name -match "-$id\.ya?ml$" | Sort-Object Name)
        $snip = foreach ($f in $files) { "$($f.Name): $(ConvertTo-CanonicalYaml (Get-Content -Raw $f.FullName))" }
        $state["$id"] = (@('# qm config') + $conf + '# qm listsnapshot' + $snaps + '# snippets' + $snip) -join "`n"
    }
    $state
}

function Compare-FleetState($a, $b, [string] $what) {
    $diff = @(foreach ($id in $a.Keys) { if ($a[$id] -cne $b[$id]) { $id } })
    if ($diff.Count -eq 0) { return $true }
    Say "$what differ for VM $($diff -join ', '):"
    $first = $diff[0]
    Compare-Object ($a[$first] -split "`n") ($b[$first] -split "`n") | ForEach-Object { Say "  $($_.SideIndicator) $($_.InputObject)" }
    return $false
}

# ---- Runs -----------------------------------------------------------------------------------------
function Invoke-PhoenixRun($h, [int] $throttle) {
    $hostCpu = Get-HostCpuSeconds $h
    $clientCpu = Get-CpuSeconds $PID
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $session = Connect-FakeHost $h
    $specs = Import-PhoenixConfig -Path $config -Session $session -FeaturePath $features -WarningAction SilentlyContinue
    $deployed = @($specs | Deploy-PhoenixVm -Session $session -ThrottleLimit $throttle -FeaturePath $features -WarningAction SilentlyContinue -ErrorAction SilentlyContinue -ErrorVariable errors)
    $watch.Stop()
    $connections = Get-TransportConnections $session
    $session | Disconnect-PhoenixHost
    $clientCpu = (Get-CpuSeconds $PID) - $clientCpu
    $hostCpu = (Get-HostCpuSeconds $h) - $hostCpu
    $failed = @($deployed | Where-Object Status -NE 'Succeeded')
    if ($failed.Count -gt 0 -or $errors.Count -gt 0 -or $deployed.Count -ne $VmCount) {
        $errors | ForEach-Object { Say "error: $_" }
        $failed | ForEach-Object { Say "VM $($_.VmId): $($_.Status) $($_.Errors -join '; ')" }
        throw "Deploy-PhoenixVm -ThrottleLimit $throttle did not deploy all $VmCount VMs on $($h.Name)."
    }
    [pscustomobject]@{ Seconds = $watch.Elapsed.TotalSeconds; Results = $deployed; Connections = $connections; ClientCpu = $clientCpu; HostCpu = $hostCpu }
}

if (-not $Quick) {
# 1. The baseline.
Say "baseline: tools/bench/baseline.sh, $VmCount VMs one after another"
$h = Start-BenchHost 'baseline'
try {
    $clientCpu = Get-CpuSeconds $PID
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    & bash (Join-Path $PSScriptRoot 'baseline.sh') --config $config --features $features -F $h.SshConfig fakehost 2> (Join-Path $OutDir 'baseline.log')
    $watch.Stop()
    if ($LASTEXITCODE -ne 0) { Get-Content (Join-Path $OutDir 'baseline.log') -Tail 20 | ForEach-Object { Say $_ }; throw "baseline.sh failed ($LASTEXITCODE)." }
    $baselineSeconds = $watch.Elapsed.TotalSeconds
    $baselineClientCpu = (Get-CpuSeconds $PID) - $clientCpu
    $baselineHostCpu = Get-HostCpuSeconds $h
    $baselineLog = Get-CommandLines $h
    $baselineSshd = Get-SshdAccepted $h
    $baselineState = Get-FleetState $h
} finally { Stop-FakeHost $h }
Set-Content (Join-Path $OutDir 'baseline.commands.log') $baselineLog
Say ("baseline: {0:N1} s" -f $baselineSeconds)

# 2. Deploy-PhoenixVm -ThrottleLimit 1, fresh host.
Say "Deploy-PhoenixVm -ThrottleLimit 1"
$h = Start-BenchHost 'phoenix-t1'
try {
    $t1 = Invoke-PhoenixRun $h 1
    $t1Log = Get-CommandLines $h
    $t1State = Get-FleetState $h
} finally { Stop-FakeHost $h }
Set-Content (Join-Path $OutDir 'phoenix-t1.commands.log') $t1Log
Say ("-ThrottleLimit 1: {0:N1} s" -f $t1.Seconds)

}

# 3. Deploy-PhoenixVm -ThrottleLimit 8, fresh host; then the converged re-run on that host.
Say "Deploy-PhoenixVm -ThrottleLimit $Throttle"
$h = Start-BenchHost 'phoenix-t8'
try {
    $t8 = Invoke-PhoenixRun $h $Throttle
    $t8Log = Get-CommandLines $h
    $t8Timeline = Get-TimelineLines $h
    $t8Sshd = Get-SshdAccepted $h
    Say ("-ThrottleLimit {0}: {1:N1} s; converged re-run" -f $Throttle, $t8.Seconds)
    $rerun = Invoke-PhoenixRun $h $Throttle
    $rerunLog = @(Get-CommandLines $h | Select-Object -Skip $t8Log.Count)
    $rerunTimeline = @(Get-TimelineLines $h | Select-Object -Skip $t8Timeline.Count)
    $rerunSshd = (Get-SshdAccepted $h) - $t8Sshd
    $t8State = Get-FleetState $h
} finally { Stop-FakeHost $h }
Set-Content (Join-Path $OutDir 'phoenix-t8.commands.log') $t8Log
Set-Content (Join-Path $OutDir 'phoenix-rerun.commands.log') $rerunLog
Set-Content (Join-Path $OutDir 'phoenix-t8.timeline.log') (Format-Timeline $t8Timeline)
Set-Content (Join-Path $OutDir 'phoenix-rerun.timeline.log') (Format-Timeline $rerunTimeline)
$rerunChanged = @($rerun.Results | Where-Object Changed)
Say ("re-run: {0:N1} s, {1} VMs changed" -f $rerun.Seconds, $rerunChanged.Count)

# Mean seconds per VM of each Deploy-PhoenixVm step (its DeployResult.Steps), in the steps' order.
function Format-StepSeconds($results) {
    $steps = @($results | ForEach-Object { $_.Steps } | Where-Object { -not $_.Skipped })
    $names = @($steps | ForEach-Object Step | Select-Object -Unique)
    ($names | ForEach-Object {
            $n = $_
            $sum = ($steps | Where-Object Step -EQ $n | Measure-Object Duration -Sum).Sum
            "$n $(Seconds ($sum / $results.Count))"
        }) -join ', '
}

# ---- Figures ----------------------------------------------------------------------------------------
# The -ThrottleLimit run's connections and commands, and its re-run's (also in -Quick).
function Write-T8Figures([switch] $SshdLog) {
    Figure 'ssh_connections' $t8.Connections
    if ($SshdLog) { Figure 'ssh_connections_sshd_log' $t8Sshd }
    Figure 'ssh_commands_per_vm' (Ratio ($m8.Total / $VmCount))
    Figure 'guest_exec_per_vm' (Ratio ($m8.GuestExec / $VmCount))
    Figure 'rerun_seconds' (Seconds $rerun.Seconds)
    Figure 'rerun_commands' $mr.Total
    Figure 'rerun_read_only' $(if ($mr.ReadOnly) { 'yes' } else { "no ($($mr.Changing.Count) changing: $($mr.Changing[0]) ...)" })
    Figure 'rerun_vms_changed' $rerunChanged.Count
}
if ($Quick) {
    $m8 = Measure-CommandLog $t8Log
    $mr = Measure-CommandLog $rerunLog
    $ideal = [math]::Ceiling($VmCount / $Throttle) * ($latency.clone + $latency.start + $agentSeconds + $featureSeconds + $latency.snapshot)
    Figure 'vms' $VmCount
    Figure 'phoenix_t8_seconds' (Seconds $t8.Seconds)
    Figure 'ideal_seconds' (Seconds $ideal)
    Figure 'efficiency' (Ratio ($ideal / $t8.Seconds))
    Write-T8Figures
    Figure 'phoenix_t8_step_seconds' (Format-StepSeconds $t8.Results)
    Figure 'rerun_step_seconds' (Format-StepSeconds $rerun.Results)
    return
}
$base = Measure-CommandLog $baselineLog
$m1 = Measure-CommandLog $t1Log
$m8 = Measure-CommandLog $t8Log
$mr = Measure-CommandLog $rerunLog
$waves = [math]::Ceiling($VmCount / $Throttle)
$perVmCritical = $latency.clone + $latency.start + $agentSeconds + $featureSeconds + $latency.snapshot
$ideal = $waves * $perVmCritical
$sameT1 = Compare-FleetState $baselineState $t1State 'baseline and -ThrottleLimit 1'
$sameT8 = Compare-FleetState $baselineState $t8State "baseline and -ThrottleLimit $Throttle"
$firstVm = $vmIds[0]

Figure 'vms' $VmCount
Figure 'baseline_seconds' (Seconds $baselineSeconds)
Figure 'phoenix_t1_seconds' (Seconds $t1.Seconds)
Figure 'phoenix_t8_seconds' (Seconds $t8.Seconds)
Figure 'speedup_vs_baseline' (Ratio ($baselineSeconds / $t8.Seconds))
Figure 'ideal_seconds' (Seconds $ideal)
Figure 'efficiency' (Ratio ($ideal / $t8.Seconds))
Write-T8Figures -SshdLog
Figure 'rerun_ssh_connections' $rerun.Connections
Figure 'rerun_ssh_connections_sshd_log' $rerunSshd
Figure 'phoenix_t1_ssh_commands_per_vm' (Ratio ($m1.Total / $VmCount))
Figure 'phoenix_t1_ssh_connections' $t1.Connections
Figure 'baseline_ssh_commands_per_vm' (Ratio ($base.Total / $VmCount))
Figure 'baseline_guest_exec_per_vm' (Ratio ($base.GuestExec / $VmCount))
Figure 'baseline_ssh_connections' $baselineSshd
Figure 'cores' ([Environment]::ProcessorCount)
Figure 'baseline_host_cpu_seconds' (Seconds $baselineHostCpu)
Figure 'baseline_client_cpu_seconds' (Seconds $baselineClientCpu)
Figure 'phoenix_t1_host_cpu_seconds' (Seconds $t1.HostCpu)
Figure 'phoenix_t8_host_cpu_seconds' (Seconds $t8.HostCpu)
Figure 'phoenix_t8_client_cpu_seconds' (Seconds $t8.ClientCpu)
Figure 'rerun_host_cpu_seconds' (Seconds $rerun.HostCpu)
Figure 'rerun_client_cpu_seconds' (Seconds $rerun.ClientCpu)
Figure 'phoenix_t8_cpu_floor_seconds' (Seconds (($t8.HostCpu + $t8.ClientCpu) / [Environment]::ProcessorCount))
Figure 'rerun_cpu_floor_seconds' (Seconds (($rerun.HostCpu + $rerun.ClientCpu) / [Environment]::ProcessorCount))
Figure 'host_cpu_ms_per_command' ([math]::Round(1000 * $t8.HostCpu / [math]::Max(1, $m8.Total)))
Figure 'same_vms' $(if ($sameT1 -and $sameT8) { "yes ($VmCount VMs: qm config without MACs/uuids, snapshots, snippets as YAML)" } else { 'NO (see the lines above on stderr)' })
Figure 'phoenix_t1_step_seconds' (Format-StepSeconds $t1.Results)
Figure 'phoenix_t8_step_seconds' (Format-StepSeconds $t8.Results)
Figure 'rerun_step_seconds' (Format-StepSeconds $rerun.Results)
Figure "phoenix_vm${firstVm}_first_deploy" (Format-KindCounts (Get-VmKindCounts $m8 $firstVm))
Figure 'phoenix_other_first_deploy' (Format-KindCounts (Get-VmKindCounts $m8 -Except $vmIds))
Figure "phoenix_vm${firstVm}_rerun" (Format-KindCounts (Get-VmKindCounts $mr $firstVm))
Figure 'phoenix_other_rerun' (Format-KindCounts (Get-VmKindCounts $mr -Except $vmIds))
Figure "baseline_vm${firstVm}" (Format-KindCounts (Get-VmKindCounts $base $firstVm))
Figure 'baseline_other' (Format-KindCounts (Get-VmKindCounts $base -Except $vmIds))
if (-not ($sameT1 -and $sameT8)) { exit 1 }
