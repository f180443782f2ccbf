# Reads the fake host's command log (<state>/commands.log: one qm/pvesm/pvesh command a line,
# quoted as Phoenix's ShellQuote quotes for a shell) into what the benchmark reports: how many
# commands, of which kind, for which VM, and whether they only read.

# Kinds that change nothing on the host (or in the guest). Everything else counts as a change.
$script:ReadOnlyKinds = @(
    'qm list', 'qm config', 'qm status', 'qm pending', 'qm listsnapshot', 'qm cloudinit dump', 'qm cloudinit pending',
    'pvesm status', 'pvesm path', 'pvesh get',
    'qm guest exec-status', 'qm guest exec: read', 'qm guest exec: feature poll'
)
# `qm guest cmd` only reads, except these.
$script:ChangingAgentCommands = @(
    'qm guest cmd shutdown', 'qm guest cmd fsfreeze-freeze', 'qm guest cmd fsfreeze-thaw', 'qm guest cmd fstrim',
    'qm guest cmd suspend-disk', 'qm guest cmd suspend-ram', 'qm guest cmd suspend-hybrid'
)

function Split-ShellWords {
    <# The words of one command line quoted as ShellQuote quotes: bare words and '...' with '\'' inside. #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Line)
    $words = [System.Collections.Generic.List[string]]::new()
    $sb = [System.Text.StringBuilder]::new()
    $inWord = $false
    for ($i = 0; $i -lt $Line.Length; $i++) {
        $c = $Line[$i]
        if ($c -eq "'") {
            $end = $Line.IndexOf("'", $i + 1)
            if ($end -lt 0) { throw "Unclosed quote in: $Line" }
            $null = $sb.Append($Line, $i + 1, $end - $i - 1)
            $i = $end
            $inWord = $true
        } elseif ($c -eq '\' -and $i + 1 -lt $Line.Length) {
            $null = $sb.Append($Line[$i + 1])
            $i++
            $inWord = $true
        } elseif ($c -eq ' ' -or $c -eq "`t") {
            if ($inWord) { $words.Add($sb.ToString()); $null = $sb.Clear(); $inWord = $false }
        } else {
            $null = $sb.Append($c)
            $inWord = $true
        }
    }
    if ($inWord) { $words.Add($sb.ToString()) }
    return $words.ToArray()
}

function Get-BenchCommandKind {
    <#
    .SYNOPSIS
        What one logged command is: its kind ('qm config', 'qm guest cmd ping', 'qm guest exec: write file', ...),
        the VM it is about (null for node-wide commands) and whether it only reads.
    #>
    param([Parameter(Mandatory)] [string[]] $Argv)
    $program = $Argv[0]
    $vmid = $null
    $kind = $program
    $isId = { param($s) $s -match '^[1-9][0-9]{2,8}$' }
    switch ($program) {
        'qm' {
            $sub = $Argv[1]
            if ($sub -eq 'guest' -or $sub -eq 'agent') {
                $what = if ($sub -eq 'agent') { 'cmd' } else { $Argv[2] }
                $idIndex = if ($sub -eq 'agent') { 2 } else { 3 }
                if (& $isId $Argv[$idIndex]) { $vmid = [int]$Argv[$idIndex] }
                if ($what -eq 'cmd') {
                    $kind = "qm guest cmd $($Argv[$idIndex + 1])"
                } elseif ($what -eq 'exec') {
                    $kind = 'qm guest exec: ' + (Get-GuestProgramKind $Argv)
                } else {
                    $kind = "qm guest $what"
                }
            } elseif ($sub -eq 'cloudinit' -or $sub -eq 'disk') {
                $kind = "qm $sub $($Argv[2])"
                if (& $isId $Argv[3]) { $vmid = [int]$Argv[3] }
            } else {
                $kind = "qm $sub"
                if ($Argv.Count -gt 2 -and (& $isId $Argv[2])) { $vmid = [int]$Argv[2] }
                # A clone is about the new VM, not its source.
                if ($sub -eq 'clone' -and $Argv.Count -gt 3 -and (& $isId $Argv[3])) { $vmid = [int]$Argv[3] }
            }
        }
        'pvesm' {
            $kind = "pvesm $($Argv[1])"
            # pvesm path local:snippets/user-data-201.yml is about VM 201.
            if ($Argv.Count -gt 2 -and $Argv[2] -match '-([1-9][0-9]{2,8})\.ya?ml$') { $vmid = [int]$Matches[1] }
        }
        'pvesh' { $kind = "pvesh $($Argv[1])" }
    }
    $readOnly = ($kind -in $script:ReadOnlyKinds) -or (($kind -like 'qm guest cmd *') -and ($kind -notin $script:ChangingAgentCommands))
    [pscustomobject]@{ Kind = $kind; VmId = $vmid; ReadOnly = [bool]$readOnly }
}

function Get-GuestProgramKind {
    <# What a `qm guest exec` runs in the guest, from the words after `--`. #>
    param([string[]] $Argv)
    $dash = [array]::IndexOf($Argv, '--')
    $guest = if ($dash -ge 0) { @($Argv | Select-Object -Skip ($dash + 1)) } else { @() }
    if ($guest.Count -eq 0) { return 'stdin only' }
    $text = $guest -join ' '
    # Phoenix names its guest programs ($0 of sh -c): phoenix-start (the context file and the scripts on stdin, and
    # their run started) and phoenix-poll (the state of the features, read only).
    if ($guest.Count -ge 4 -and $guest[1] -eq '-c') {
        switch ($guest[3]) {
            'phoenix-start' { return 'feature start' }
            'phoenix-poll' { return 'feature poll' }
        }
    }
    if ($text -match '\bcat\s*>') { return 'write file' }
    if ($guest[0] -in @('cat', 'tail', 'head', 'ls', 'stat', 'test')) { return 'read' }
    if ($guest -contains '/bin/bash' -or $guest -contains 'bash') { return 'feature run' }
    return 'other'
}

function Measure-CommandLog {
    <#
    .SYNOPSIS
        Counts the commands of a command log: in all, per VM, of each kind, for one VM, and the ones
        that change something.
    .OUTPUTS
        An object with Total, GuestExec (qm guest exec calls), ReadOnly (true when every command only
        reads), Changing (the lines that do not), ByKind (kind -> count), ByVm (vmid as a string -> count)
        and Commands (one object a line).
    #>
    param([AllowEmptyCollection()] [string[]] $Lines = @())
    $commands = foreach ($line in $Lines) {
        if ([string]::IsNullOrWhiteSpace($line)) { continue }
        $k = Get-BenchCommandKind -Argv (Split-ShellWords $line)
        $k | Add-Member -NotePropertyName Line -NotePropertyValue $line -PassThru
    }
    $commands = @($commands)
    $byKind = [ordered]@{}
    foreach ($g in $commands | Group-Object Kind | Sort-Object @{ e = 'Count'; Descending = $true }, Name) { $byKind[$g.Name] = $g.Count }
    $byVm = [ordered]@{}
    foreach ($g in $commands | Where-Object { $null -ne $_.VmId } | Group-Object VmId | Sort-Object { [int]$_.Name }) { $byVm[[string]$g.Name] = $g.Count }
    $changing = @($commands | Where-Object { -not $_.ReadOnly } | ForEach-Object Line)
    [pscustomobject]@{
        Total = $commands.Count
        GuestExec = @($commands | Where-Object Kind -like 'qm guest exec:*').Count
        ReadOnly = $changing.Count -eq 0
        Changing = $changing
        ByKind = $byKind
        ByVm = $byVm
        Commands = $commands
    }
}

function Format-KindCounts {
    <# 'qm config 4, qm status 3, ...' from a kind -> count table (most first). #>
    param([System.Collections.IDictionary] $Counts)
    $parts = foreach ($k in $Counts.Keys) { "$k $($Counts[$k])" }
    if (-not $parts) { return 'none' }
    return ($parts -join ', ')
}

function Get-VmKindCounts {
    <# kind -> count (most first) for the commands about one VM, or with -Except for those about none of the given VMs (node-wide commands, the template). #>
    param([Parameter(Mandatory)] $Measure, [int[]] $VmId, [int[]] $Except)
    $pick = if ($PSBoundParameters.ContainsKey('Except')) { { $null -eq $_.VmId -or $_.VmId -notin $Except } } else { { $null -ne $_.VmId -and $_.VmId -in $VmId } }
    $t = [ordered]@{}
    foreach ($g in $Measure.Commands | Where-Object $pick | Group-Object Kind | Sort-Object @{ e = 'Count'; Descending = $true }, Name) { $t[$g.Name] = $g.Count }
    return $t
}

function Format-Timeline {
    <#
    .SYNOPSIS
        The fake host's timeline (timeline.log: `<began ms> <ended ms> <exit code> <command>` a line, Unix milliseconds) as
        `<began s> <ended s> <exit code> <command>` lines, seconds from the first command's start, sorted by start.
    #>
    param([string[]] $Lines)
    $rows = @(foreach ($l in $Lines) {
            if ($l -match '^(\d+) (\d+) (\d+) (.*)$') { [pscustomobject]@{ Began = [long]$Matches[1]; Ended = [long]$Matches[2]; Exit = $Matches[3]; Command = $Matches[4] } }
        })
    if ($rows.Count -eq 0) { return }
    $t0 = ($rows | Measure-Object Began -Minimum).Minimum
    $inv = [cultureinfo]::InvariantCulture
    $rows | Sort-Object Began | ForEach-Object {
        [string]::Format($inv, '{0,7:0.00} {1,7:0.00} {2,3} {3}', ($_.Began - $t0) / 1000, ($_.Ended - $t0) / 1000, $_.Exit, $_.Command)
    }
}

Export-ModuleMember -Function Split-ShellWords, Get-BenchCommandKind, Measure-CommandLog, Format-KindCounts, Get-VmKindCounts, Format-Timeline
