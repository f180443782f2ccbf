@{
    # Phoenix.psm1 imports Phoenix.PowerShell.dll, on PowerShell 7 with its libraries in a load context of their own.
    RootModule           = 'Phoenix.psm1'
    # Stamped by build.ps1 from Directory.Build.props, the one place the version lives.
    ModuleVersion        = '0.0.0'
    GUID                 = '6f7d3b0e-4c1a-4d59-9a51-2b8e7c0f5a11'
    Author               = 'The Phoenix authors'
    CompanyName          = 'Phoenix'
    Copyright            = '(c) The Phoenix authors. MIT License.'
    Description          = 'Builds virtual machines on Proxmox VE from a declarative JSON file: clones, dynamic cloud-init, feature scripts through the QEMU guest agent, golden-image snapshots.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('Formats/Phoenix.Format.ps1xml')
    CmdletsToExport      = @(
        'Connect-PhoenixHost'
        'Disconnect-PhoenixHost'
        'Get-PhoenixHost'
        'Import-PhoenixConfig'
        'Test-PhoenixConfig'
        'ConvertTo-PhoenixCloudInit'
        'Set-PhoenixCloudInit'
        'Get-PhoenixVm'
        'New-PhoenixVm'
        'New-PhoenixTemplate'
        'Deploy-PhoenixVm'
        'Compare-PhoenixVm'
        'Start-PhoenixVm'
        'Stop-PhoenixVm'
        'Remove-PhoenixVm'
        'Wait-PhoenixGuestAgent'
        'New-PhoenixSnapshot'
        'Get-PhoenixSnapshot'
        'Restore-PhoenixSnapshot'
        'Remove-PhoenixSnapshot'
        'Get-PhoenixFeature'
        'Invoke-PhoenixFeature'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Proxmox', 'PVE', 'VM', 'cloud-init', 'QEMU', 'Linux')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
