# Every field a config can set, deployed three times on the fake host (issue 10): one table of cases (the
# field, its config value, what `qm config` prints back on a real node), one VM per case, all in one config.
# Run 1 must make the VM print the value as Proxmox stores it; runs 2 and 3 must report Changed False, send
# no changing command for the VM (the fake host's audit log, commands.log) and leave its config as it was,
# MAC addresses included. The fake host, not the in-process simulator: values travel through the SSH
# command line as on a real node (descriptions with newlines and '%', tags with ';'), and the audit log is the
# meter. What Proxmox prints comes from proxmox-behaviour.md and the simulator's own tests of qm set
# (tests/Phoenix.Simulator.Tests/SetCommandTests.cs). <id> stands for the case's VMID, <mac> for a MAC.

BeforeDiscovery {
    # Vm: the fields of the case's VM besides vmid/name (clone of template 9000: 2 cores, 2048 MB, scsi0 32G
    # on local-lvm, net0 virtio on vmbr0, agent 1). Prints: config lines as qm config shows them. Absent: keys
    # qm config must not show.
    $cases = @(
        # The named fields of VmSpec.
        @{ Field = 'cores'; Vm = @{ cores = 4 }; Prints = @('cores: 4') }
        @{ Field = 'memory_mb'; Vm = @{ memory_mb = 3072 }; Prints = @('memory: 3072') }
        @{ Field = 'start_at_boot (true)'; Vm = @{ start_at_boot = $true }; Prints = @('onboot: 1') }
        @{ Field = 'start_at_boot (false)'; Vm = @{ start_at_boot = $false }; Absent = @('onboot') }
        @{ Field = 'boot_order'; Vm = @{ boot_order = 3 }; Prints = @('startup: order=3') }
        @{ Field = 'boot_delay'; Vm = @{ boot_delay = 10 }; Prints = @('startup: up=10') }
        @{ Field = 'boot_order and boot_delay'; Vm = @{ boot_order = 3; boot_delay = 10 }; Prints = @('startup: order=3,up=10') }
        @{ Field = 'disk_size_gb (grown)'; Vm = @{ disk_size_gb = 40 }; Prints = @('scsi0: local-lvm:vm-<id>-disk-0,size=40G') }
        @{ Field = 'disk_size_gb (as cloned)'; Vm = @{ disk_size_gb = 32 }; Prints = @('scsi0: local-lvm:vm-<id>-disk-0,size=32G') }
        @{ Field = 'storage_pool'; Vm = @{ storage_pool = 'local-lvm' }; Prints = @('scsi0: local-lvm:vm-<id>-disk-0,size=32G') }
        @{ Field = 'network_bridge'; Vm = @{ network_bridge = 'vmbr1' }; Prints = @('net0: virtio=<mac>,bridge=vmbr1') }
        @{ Field = 'name (a dotted name)'; Vm = @{ name = 'fields-dotted.lab.example' }; Prints = @('name: fields-dotted.lab.example') }
        @{ Field = 'network_config (static)'; Vm = @{ network_config = @{ ip = '10.0.0.50/24'; gw = '10.0.0.1'; nameservers = @('10.0.0.13', '1.1.1.1')
                    searchdomain = 'lab.example' } }
            Prints = @('cicustom: user=local:snippets/user-data-<id>.yml,network=local:snippets/network-config-<id>.yml') }
        @{ Field = 'snapshots and template_snapshot_name'; Vm = @{ snapshots = @{ 'pre-features' = $true; 'post-features' = $true }
                template_snapshot_name = 'golden' }; Prints = @('parent: golden') }
        # qm_options: every other qm set option, compared as Proxmox means it.
        @{ Field = 'qm_options.sockets'; Vm = @{ qm_options = @{ sockets = 2 } }; Prints = @('sockets: 2') }
        @{ Field = 'qm_options.cpu'; Vm = @{ qm_options = @{ cpu = 'host' } }; Prints = @('cpu: host') }
        @{ Field = 'qm_options.cpu (with flags)'; Vm = @{ qm_options = @{ cpu = 'cputype=x86-64-v2-AES,flags=+aes' } }
            Prints = @('cpu: cputype=x86-64-v2-AES,flags=+aes') }
        @{ Field = 'qm_options.balloon'; Vm = @{ qm_options = @{ balloon = 1024 } }; Prints = @('balloon: 1024') }
        @{ Field = 'qm_options.tags'; Vm = @{ qm_options = @{ tags = 'Web;db,web prod' } }; Prints = @('tags: db;prod;web') }
        @{ Field = 'qm_options.description'; Vm = @{ qm_options = @{ description = "Rate: 100%`nsecond line" } }
            Prints = @('description: Rate%3A 100%25%0Asecond line') }
        @{ Field = 'qm_options.onboot'; Vm = @{ qm_options = @{ onboot = $true } }; Prints = @('onboot: 1') }
        @{ Field = 'qm_options.agent'; Vm = @{ qm_options = @{ agent = 'enabled=1,fstrim_cloned_disks=1' } }
            Prints = @('agent: enabled=1,fstrim_cloned_disks=1') }
        @{ Field = 'qm_options.startup'; Vm = @{ qm_options = @{ startup = 'up=5,order=1' } }; Prints = @('startup: up=5,order=1') }
        @{ Field = 'qm_options.net0 (firewall, MAC kept)'; Vm = @{ qm_options = @{ net0 = 'virtio,bridge=vmbr0,firewall=1' } }
            Prints = @('net0: virtio=<mac>,bridge=vmbr0,firewall=1') }
        @{ Field = 'qm_options.net1 (vlan, firewall)'; Vm = @{ qm_options = @{ net1 = 'virtio,bridge=vmbr1,tag=20,firewall=1' } }
            Prints = @('net1: virtio=<mac>,bridge=vmbr1,firewall=1,tag=20') }
        @{ Field = 'qm_options.scsi1 (a new disk)'; Vm = @{ qm_options = @{ scsi1 = 'local-lvm:8' } }; Prints = @('scsi1: local-lvm:vm-<id>-disk-1,size=8G')
            Absent = @('unused0') }
        # ipconfig0, nameserver and searchdomain are Phoenix's own (network_config) and refused in qm_options.
        @{ Field = 'qm_options.ipconfig1'; Vm = @{ qm_options = @{ ipconfig1 = 'ip=10.0.1.51/24,gw=10.0.1.1' } }
            Prints = @('ipconfig1: ip=10.0.1.51/24,gw=10.0.1.1') }
        @{ Field = 'qm_options.scsihw'; Vm = @{ qm_options = @{ scsihw = 'virtio-scsi-single' } }; Prints = @('scsihw: virtio-scsi-single') }
        @{ Field = 'qm_options.machine'; Vm = @{ qm_options = @{ machine = 'q35' } }; Prints = @('machine: q35') }
        @{ Field = 'qm_options.boot'; Vm = @{ qm_options = @{ boot = 'order=scsi0;net0' } }; Prints = @('boot: order=scsi0;net0') }
        @{ Field = 'qm_options.numa'; Vm = @{ qm_options = @{ numa = $true } }; Prints = @('numa: 1') }
    )
    $i = 0
    $script:fieldCases = foreach ($c in $cases) {
        $id = 301 + $i++
        foreach ($k in 'Prints', 'Absent') { if (-not $c.ContainsKey($k)) { $c[$k] = @() } }
        $c.VmId = $id
        $c.Value = ($c.Vm | ConvertTo-Json -Compress -Depth 5)
        $c.Prints = @($c.Prints | ForEach-Object { $_.Replace('<id>', "$id") })
        $c
    }
}

BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:changing = Get-ChangingCommandPattern

    # The VMID a line of the audit log is about.
    function Get-AuditVmId([string] $line) {
        if ($line -match '^qm (?:guest |cloudinit |disk )?[a-z-]+ (\d+)\b') { [int]$Matches[1] }
    }
}

Describe 'Every field deployed three times on the fake host' {
    BeforeAll {
        $script:run = Start-FakeHostSession
        $fake = $run.Fake
        Set-Content -Path (Join-Path $fake.stateDir 'faults.json') -Value '{ "agentStartupDelaySeconds": 0 }'
        $vms = foreach ($c in $fieldCases) {
            $vm = [ordered]@{ vmid = $c.VmId; name = "field-$($c.VmId)"; clone_from_vmid = 9000 }
            foreach ($k in $c.Vm.Keys) { $vm[$k] = $c.Vm[$k] }
            $vm
        }
        $key = (Get-TestSecret).Ed25519Key
        $config = [ordered]@{ vm_defaults = [ordered]@{ user_config = [ordered]@{ username = 'phoenix'; ssh_public_keys = @($key) } }; vms = @($vms) }
        $script:configPath = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-fields-' + [guid]::NewGuid().ToString('n').Substring(0, 8) + '.json')
        $config | ConvertTo-Json -Depth 10 | Set-Content -Path $configPath

        $script:runs = @{}
        $script:changingByRun = @{}
        $script:configs = @{}
        foreach ($n in 1, 2, 3) {
            $before = @(Get-Audit $fake).Count
            $runs[$n] = Import-PhoenixConfig -Path $configPath | Deploy-PhoenixVm -ThrottleLimit 8 -AgentTimeoutSec 60 -WarningAction SilentlyContinue `
                -ErrorAction SilentlyContinue
            $changingByRun[$n] = @(Get-Audit $fake | Select-Object -Skip $before | Where-Object { $_ -match $changing })
            if ($n -ne 2) {
                $configs[$n] = @{}
                foreach ($c in $fieldCases) { $configs[$n][$c.VmId] = @((Invoke-Remote $run.Ssh 'qm', 'config', "$($c.VmId)").StdOut -split "`n" | Where-Object { $_ }) }
            }
        }
    }
    AfterAll {
        Stop-FakeHostSession $run
        Remove-Item -LiteralPath $configPath -ErrorAction Ignore
    }

    Context '<Field> = <Value>' -ForEach $fieldCases {
        BeforeAll {
            $script:first = $runs[1] | Where-Object VmId -EQ $VmId
        }

        It 'is deployed and printed back as Proxmox stores it' {
            $first.Status | Should -Be 'Succeeded' -Because ($first.Errors -join ' | ')
            $shown = @($configs[1][$VmId] -replace '(?i)\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b', '<mac>')
            foreach ($line in $Prints) { $shown | Should -Contain $line }
            foreach ($key in $Absent) { @($shown | Where-Object { $_.StartsWith("${key}: ") }) | Should -BeNullOrEmpty }
        }

        It 'changes nothing on runs 2 and 3' {
            foreach ($n in 2, 3) {
                $r = $runs[$n] | Where-Object VmId -EQ $VmId
                $r.Status | Should -Be 'Succeeded' -Because "run $n's errors: $($r.Errors -join ' | ')"
                $r.Changed | Should -BeFalse -Because "run $n changed: $($r.Changes -join ' | ')"
                @($changingByRun[$n] | Where-Object { (Get-AuditVmId $_) -eq $VmId }) | Should -BeNullOrEmpty -Because "run $n must send no changing command"
            }
            # Byte for byte, MAC addresses included: nothing was regenerated behind an equal-looking value.
            $configs[3][$VmId] | Should -Be $configs[1][$VmId]
        }
    }
}
