# New-PhoenixTemplate: a base template from a cloud image on the host (in-process simulator), from a
# config entry, under -WhatIf, finished when half-built, never over another VM, and from a URL the host
# downloads (fake host).
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    # A cloud image in the node's iso folder of storage local.
    function Add-NodeImage($Node, [string] $Name) {
        $Node.Sim.Store.WriteFile("/var/lib/vz/template/iso/$Name", [byte[]](1..64), [Convert]::ToInt32('644', 8))
    }
}

Describe 'New-PhoenixTemplate from an image on the host' {
    BeforeAll {
        $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01' })
        Add-NodeImage $node 'noble.img'
    }
    AfterAll { Stop-SimulatorNode $node }

    It 'creates the VM, imports the image, adds the cloud-init drive, grows the disk and converts it' {
        $t = New-PhoenixTemplate -VmId 9100 -Name noble-tpl -Image noble.img -DiskSizeGb 40 -Cores 4 -MemoryMb 4096
        $t | Should -BeOfType ([Phoenix.PowerShell.PhoenixVm])
        $t.IsTemplate | Should -BeTrue
        $t.Name | Should -Be 'noble-tpl'
        $t.Cores | Should -Be 4
        $t.MemoryMb | Should -Be 4096
        $t.Changes | Should -Be @(
            'created', 'imported /var/lib/vz/template/iso/noble.img', 'set scsi0 local-lvm:vm-9100-disk-0', 'set ide2 local-lvm:cloudinit',
            'set boot order=scsi0', 'resized scsi0 to 40G', 'converted to template')
        $config = Invoke-OnNode $node 'qm', 'config', '9100'
        $config | Should -Match '(?m)^scsi0: local-lvm:base-9100-disk-0,size=40G$'
        $config | Should -Match '(?m)^ide2: local-lvm:vm-9100-cloudinit,media=cdrom'
        $config | Should -Match '(?m)^agent: 1$'
        $config | Should -Match '(?m)^serial0: socket$'
    }

    It 'leaves a finished template alone' {
        $again = New-PhoenixTemplate -VmId 9100 -Name noble-tpl -Image noble.img -DiskSizeGb 40 -Verbose 4>&1
        $t = $again | Where-Object { $_ -is [Phoenix.PowerShell.PhoenixVm] }
        $t.Changed | Should -BeFalse
        ($again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'VM 9100 (noble-tpl) is already a template.'
    }

    It 'shows the exact commands under -WhatIf and creates nothing' {
        $w = Get-HostOutput { New-PhoenixTemplate -VmId 9200 -Name plan-tpl -Image noble.img -WhatIf }
        $w.Output | Should -BeNullOrEmpty
        $lines = @($w.Text -split "`r?`n" | Where-Object { $_ -like 'What if:*' })
        $lines[0] | Should -Be 'What if: Performing the operation "Build template" on target "VM 9200 (plan-tpl)".'
        $lines[1] | Should -BeLike 'What if:     qm create 9200 --name plan-tpl --cores 2 --memory 2048 *'
        $lines[2] | Should -Be 'What if:     qm importdisk 9200 /var/lib/vz/template/iso/noble.img local-lvm'
        $lines[3] | Should -Be "What if:     qm set 9200 --scsi0 local-lvm:vm-9200-disk-0 --ide2 local-lvm:cloudinit --boot 'order=scsi0'"
        $lines[4] | Should -Be 'What if:     qm template 9200'
        (Get-PhoenixVm).VmId | Should -Not -Contain 9200
    }

    It 'never turns another VM into a template' {
        $err = $null
        New-PhoenixTemplate -VmId 101 -Name base-tpl -Image some.img -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmIdTaken,Phoenix.PowerShell.Commands.NewPhoenixTemplateCommand'
        $err[0].Exception.Message | Should -BeLike "*VM 101 already exists on the host as 'web-01'*"
        (Get-PhoenixVm -VmId 101).IsTemplate | Should -BeFalse
    }

    It 'refuses an image that is neither a host path nor a file name before it creates anything' {
        $err = $null
        New-PhoenixTemplate -VmId 9300 -Name bad-tpl -Image 'sub/noble.img' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidImage,Phoenix.PowerShell.Commands.NewPhoenixTemplateCommand'
        (Get-PhoenixVm).VmId | Should -Not -Contain 9300
    }
}

Describe 'New-PhoenixTemplate from a config entry' {
    BeforeAll {
        $script:node = Start-SimulatorNode -Empty
        Add-NodeImage $node 'jammy.img'
        $json = @{ vms = @(
            @{ vmid = 9000; name = 'jammy-tpl'; is_template = $true; template_image = 'jammy.img'; cores = 1; memory_mb = 1024;
                template_snapshot_name = 'ignored' }
            @{ vmid = 201; name = 'app-01'; template_vmid = 9000 }
        ) } | ConvertTo-Json -Depth 4
        $script:config = Join-Path $TestDrive 'templates.json'
        Set-Content -LiteralPath $config -Value $json
        $script:specs = Import-PhoenixConfig $config -WarningAction SilentlyContinue
    }
    AfterAll { Stop-SimulatorNode $node }

    It 'builds the template from its template_image, cores and memory, and warns that a template holds no snapshot' {
        $warn = $null
        $t = $specs | Where-Object IsTemplate | New-PhoenixTemplate -WarningVariable warn -WarningAction SilentlyContinue
        $t.VmId | Should -Be 9000
        $t.IsTemplate | Should -BeTrue
        $t.Cores | Should -Be 1
        $t.MemoryMb | Should -Be 1024
        $t.Spec.VmId | Should -Be 9000
        $warn | Should -HaveCount 1
        "$($warn[0])" | Should `
            -BeLike "VM 9000 (jammy-tpl) is a template, and Proxmox templates hold no snapshots: template_snapshot_name 'ignored' is ignored."
    }

    It 'refuses an ordinary VM of the config, pointing to New-PhoenixVm' {
        $err = $null
        $specs | Where-Object VmId -EQ 201 | New-PhoenixTemplate -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'NotATemplate,Phoenix.PowerShell.Commands.NewPhoenixTemplateCommand'
        $err[0].Exception.Message | Should -Be 'VM 201 (app-01) is not marked is_template in the config; New-PhoenixVm makes ordinary VMs.'
        (Get-PhoenixVm).VmId | Should -Not -Contain 201
    }
}

Describe 'New-PhoenixTemplate on a VM that exists' {
    BeforeAll { $script:node = Start-SimulatorNode -ZfsStorage local-zfs }
    AfterAll { Stop-SimulatorNode $node }

    It 'finishes it into a template, which is not removed while a linked clone uses it on ZFS' {
        $null = New-PhoenixVm -VmId 320 -Name zfs-base -StoragePool local-zfs -FullClone $true
        # The image is only needed to create a VM; one that exists is finished as it is.
        (New-PhoenixTemplate -VmId 320 -Name zfs-base -Image unused.img).IsTemplate | Should -BeTrue
        (New-PhoenixVm -VmId 321 -Name zfs-linked -CloneFromVmId 320).Changes | Should -Contain 'cloned from VM 320 (linked clone)'
        $err = $null
        Remove-PhoenixVm -VmId 320 -Force -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'BaseVolumeInUse,Phoenix.PowerShell.Commands.RemovePhoenixVmCommand'
        $err[0].Exception.Message | Should -BeLike "*base volume 'local-zfs:base-320-disk-0' is still in use by linked cloned*"
        (Get-PhoenixVm -VmId 320).IsTemplate | Should -BeTrue
    }
}

Describe 'New-PhoenixTemplate from a URL on the fake host' {
    BeforeAll {
        $script:run = Start-FakeHostSession -Empty
        $script:fake = $run.Fake; $script:session = $run.Session
        # The host downloads with curl; a file: URL keeps the test off the network.
        $script:image = Join-Path ([System.IO.Path]::GetTempPath()) ("phoenix-img-" + [guid]::NewGuid().ToString('n').Substring(0, 8) + '.img')
        [System.IO.File]::WriteAllBytes($image, [byte[]](1..200))
        $script:sha = (Get-FileHash $image -Algorithm SHA256).Hash.ToLowerInvariant()
    }
    AfterAll {
        Stop-FakeHostSession $run
        Remove-Item $image -ErrorAction Ignore
    }

    It 'refuses a download whose checksum differs and imports nothing' {
        $err = $null
        New-PhoenixTemplate -VmId 9100 -Name url-tpl -ImageUrl "file://$image" -ImageSha256 ('0' * 64) -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ImageChecksumMismatch,Phoenix.PowerShell.Commands.NewPhoenixTemplateCommand'
        $err[0].Exception.Message | Should -BeLike "*has SHA-256 $sha*"
        Test-Path (Join-Path $fake.stateDir "node/var/lib/vz/template/iso/$(Split-Path -Leaf $image)") | Should -BeFalse
        @(Get-Audit $fake) | Should -Not -Contain 'qm template 9100'
    }

    It 'downloads, checks and builds the template' {
        $t = New-PhoenixTemplate -VmId 9100 -Name url-tpl -ImageUrl "file://$image" -ImageSha256 $sha
        $t.IsTemplate | Should -BeTrue
        $t.Changes[0] | Should -BeLike "downloaded file://$image to *"
        $t.Changes | Should -Contain 'converted to template'
        (Get-FileHash (Join-Path $fake.stateDir "node/var/lib/vz/template/iso/$(Split-Path -Leaf $image)")).Hash.ToLowerInvariant() | Should -Be $sha
    }
}
