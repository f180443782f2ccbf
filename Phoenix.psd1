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
        # What the PowerShell Gallery shows. build.ps1 stamps Prerelease from Directory.Build.props (0.2.0-rc1 gives
        # ModuleVersion 0.2.0 and Prerelease rc1; no label leaves it empty).
        PSData = @{
            Tags         = @('Proxmox', 'PVE', 'VM', 'cloud-init', 'QEMU', 'Linux', 'PSEdition_Core', 'PSEdition_Desktop')
            # ProjectUri: build.ps1 adds it from Directory.Build.props's PackageProjectUrl (or -ProjectUri) when one
            # is set. Phoenix has no public page yet, so by default the manifest has none.
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            Prerelease   = ''
            ReleaseNotes = 'First release: Proxmox VMs from a JSON config over one SSH connection (clone, cloud-init, guest-agent features, snapshots), idempotent Deploy-PhoenixVm with -WhatIf, a built-in Proxmox simulator (Connect-PhoenixHost -Simulator). Get-Help about_Phoenix.'
        }
    }
}
