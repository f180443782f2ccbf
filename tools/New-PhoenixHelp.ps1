<#
.SYNOPSIS
    Writes the module's cmdlet help (MAML) from help/<Cmdlet>.psd1 and the built cmdlets' metadata.
.DESCRIPTION
    Syntax, parameter types, positions and pipeline input come from the cmdlets themselves, so help
    cannot drift from the code; the words come from help/*.psd1. A missing description is written
    as empty, and the Pester help test fails on it. Runs in its own pwsh: build.ps1 calls it.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDir,
    [Parameter(Mandatory)] [string] $HelpSource
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $ModuleDir 'Phoenix.psd1')

$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
$shared = @{}
$sharedFile = Join-Path $HelpSource '_shared.psd1'
if (Test-Path $sharedFile) { $shared = Import-PowerShellDataFile $sharedFile }

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$path = Join-Path $ModuleDir 'en-US/Phoenix.PowerShell.dll-Help.xml'
$w = [System.Xml.XmlWriter]::Create($path, $settings)
$nsMsh = 'http://msh'
$nsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$nsCmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$nsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Write-Para([string] $text) {
    foreach ($p in ($text -split "`n`n")) {
        $w.WriteElementString('para', $nsMaml, ($p.Trim() -replace '\s*\n\s*', ' '))
    }
}

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', $nsMsh)
$w.WriteAttributeString('schema', 'maml')
foreach ($cmd in Get-Command -Module Phoenix -CommandType Cmdlet | Sort-Object Name) {
    $file = Join-Path $HelpSource "$($cmd.Name).psd1"
    $h = if (Test-Path $file) { Import-PowerShellDataFile $file } else { @{} }
    $paramText = @{}
    if ($shared.ContainsKey('Parameters')) { foreach ($k in $shared.Parameters.Keys) { $paramText[$k] = $shared.Parameters[$k] } }
    if ($h.ContainsKey('Parameters')) { foreach ($k in $h.Parameters.Keys) { $paramText[$k] = $h.Parameters[$k] } }

    $w.WriteStartElement('command', 'command', $nsCmd)
    $w.WriteAttributeString('xmlns', 'maml', $null, $nsMaml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $nsDev)
    $w.WriteStartElement('details', $nsCmd)
    $w.WriteElementString('name', $nsCmd, $cmd.Name)
    $w.WriteStartElement('description', $nsMaml); Write-Para ([string]$h['Synopsis']); $w.WriteEndElement()
    $w.WriteElementString('verb', $nsCmd, $cmd.Verb)
    $w.WriteElementString('noun', $nsCmd, $cmd.Noun)
    $w.WriteEndElement()
    $w.WriteStartElement('description', $nsMaml); Write-Para ([string]$h['Description']); $w.WriteEndElement()

    $w.WriteStartElement('syntax', $nsCmd)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('syntaxItem', $nsCmd)
        $w.WriteElementString('name', $nsMaml, $cmd.Name)
        foreach ($p in $set.Parameters | Where-Object Name -notin $common) {
            $w.WriteStartElement('parameter', $nsCmd)
            $w.WriteAttributeString('required', ([string]$p.IsMandatory).ToLower())
            $w.WriteAttributeString('position', $(if ($p.Position -ge 0) { [string]$p.Position } else { 'named' }))
            $w.WriteElementString('name', $nsMaml, $p.Name)
            if ($p.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
                $w.WriteStartElement('parameterValue', $nsCmd); $w.WriteAttributeString('required', 'true'); $w.WriteString($p.ParameterType.Name); $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('parameters', $nsCmd)
    foreach ($p in $cmd.Parameters.Values | Where-Object Name -notin $common | Sort-Object Name) {
        $attrs = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
        $pipe = @()
        if ($attrs | Where-Object ValueFromPipeline) { $pipe += 'ByValue' }
        if ($attrs | Where-Object ValueFromPipelineByPropertyName) { $pipe += 'ByPropertyName' }
        $position = ($attrs | Where-Object { $_.Position -ge 0 } | Select-Object -First 1).Position
        $w.WriteStartElement('parameter', $nsCmd)
        $w.WriteAttributeString('required', ([string][bool]($attrs | Where-Object Mandatory)).ToLower())
        $w.WriteAttributeString('globbing', ([string][bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })).ToLower())
        $w.WriteAttributeString('pipelineInput', $(if ($pipe) { "True ($($pipe -join ', '))" } else { 'False' }))
        $w.WriteAttributeString('position', $(if ($null -ne $position) { [string]$position } else { 'named' }))
        $w.WriteElementString('name', $nsMaml, $p.Name)
        $w.WriteStartElement('description', $nsMaml); Write-Para ([string]$paramText[$p.Name]); $w.WriteEndElement()
        $w.WriteStartElement('parameterValue', $nsCmd); $w.WriteAttributeString('required', 'true'); $w.WriteString($p.ParameterType.Name); $w.WriteEndElement()
        $w.WriteStartElement('type', $nsDev); $w.WriteElementString('name', $nsMaml, $p.ParameterType.FullName); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('inputTypes', $nsCmd)
    foreach ($t in @($h['Inputs'])) {
        if (-not $t) { continue }
        $w.WriteStartElement('inputType', $nsCmd); $w.WriteStartElement('type', $nsDev); $w.WriteElementString('name', $nsMaml, $t); $w.WriteEndElement(); $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteStartElement('returnValues', $nsCmd)
    foreach ($t in $cmd.OutputType) {
        $w.WriteStartElement('returnValue', $nsCmd); $w.WriteStartElement('type', $nsDev); $w.WriteElementString('name', $nsMaml, $t.Name); $w.WriteEndElement(); $w.WriteEndElement()
    }
    $w.WriteEndElement()
    if ($h['Notes']) {
        $w.WriteStartElement('alertSet', $nsMaml); $w.WriteStartElement('alert', $nsMaml); Write-Para ([string]$h['Notes']); $w.WriteEndElement(); $w.WriteEndElement()
    }

    $w.WriteStartElement('examples', $nsCmd)
    $i = 0
    foreach ($ex in @($h['Examples'])) {
        if (-not $ex) { continue }
        $i++
        $w.WriteStartElement('example', $nsCmd)
        $w.WriteElementString('title', $nsMaml, "--------- Example $($i): $($ex.Title) ---------")
        $w.WriteElementString('code', $nsDev, $ex.Code.Trim())
        $w.WriteStartElement('remarks', $nsDev); Write-Para ([string]$ex.Remarks); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('relatedLinks', $nsCmd)
    foreach ($l in @($h['Links']) + 'about_Phoenix' | Select-Object -Unique) {
        if (-not $l) { continue }
        $w.WriteStartElement('navigationLink', $nsMaml); $w.WriteElementString('linkText', $nsMaml, $l); $w.WriteElementString('uri', $nsMaml, ''); $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement() # command
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()
