# Deploy-PhoenixVm: the real-world config on the fake host over SSH (template found or built, clones,
# cloud-init, dependency order, features, a converged re-run that changes nothing, an interrupted run
# finished by the next), and the rest of the seed's diagram on a config of our own.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:realWorld = Join-Path $env:PHOENIX_REPO_ROOT 'tests/fixtures/realworld-shape/phoenix_vm_configs.json'

    # The real config names features of its own besides the bundled ones; an admin would bring them
    # in a folder of their own, as these stand-ins are.
    $script:featureDir = Join-Path ([System.IO.Path]::GetTempPath()) ("phoenix-features-" + [guid]::NewGuid().ToString('n').Substring(0, 8))
    $null = New-Item -ItemType Directory $featureDir
    foreach ($name in 'trusted_ca', 'step_cli') {
        Set-Content -Path (Join-Path $featureDir "feature_install_$name.sh") -Value @"
#!/bin/bash
# Description: test stand-in for the real-world $name feature
set -euo pipefail
marker=/var/lib/phoenix-test/$name
if [ -f "`$marker" ]; then echo "$name already there"; echo PHOENIX_CHANGED=0; exit 0; fi
mkdir -p /var/lib/phoenix-test
echo "`$PHOENIX_VMID `$PHOENIX_USERNAME" > "`$marker"
echo "$name installed for `$PHOENIX_USERNAME"
echo PHOENIX_CHANGED=1
"@
    }

    # Changing commands, as the fake host's audit log (commands.log) records them.
    $script:changing = Get-ChangingCommandPattern

    function Get-Config($fake, [int] $vmId) {
        $c = New-FakeHostConnection $fake
        try { (Invoke-Remote $c 'qm', 'config', "$vmId").StdOut } finally { $c.Dispose() }
    }
}

AfterAll {
    Remove-Item -Recurse -Force $featureDir -ErrorAction Ignore
}

Describe 'The real-world config on the fake host' {
    BeforeAll {
        $script:run = Start-FakeHostSession
        $script:fake = $run.Fake; $script:session = $run.Session
        $script:specs = Import-PhoenixConfig -Path $realWorld -FeaturePath $featureDir
        $script:first = $specs | Deploy-PhoenixVm -FeaturePath $featureDir -AgentTimeoutSec 60 -WarningVariable script:warnings -WarningAction SilentlyContinue
        $script:audit1 = @(Get-Audit $fake)
    }
    AfterAll {
        Stop-FakeHostSession $run
    }

    It 'deploys every VM' {
        $first.VmId | Should -Be @(9000, 1001, 1002)
        $first.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        ($first | Where-Object VmId -EQ 9000).Changed | Should -BeFalse
        ($first | Where-Object VmId -EQ 1001).Changes | Should -Contain 'cloned from VM 9000 (linked clone)'
    }

    It 'warns about the template snapshot and the container outside the file' {
        ($warnings | Out-String) | Should -Match "template_snapshot_name 'pristine_base_state' is ignored"
        ($warnings | Out-String) | Should -Match 'VM 1001 \(Registry\) depends on 102, which does not exist'
    }

    It 'gives each clone its cores, memory, disk, boot settings and cloud-init' {
        $c1 = Get-Config $fake 1001
        $c1 | Should -Match '(?m)^cores: 4$'
        $c1 | Should -Match '(?m)^memory: 8192$'
        $c1 | Should -Match '(?m)^onboot: 1$'
        $c1 | Should -Match '(?m)^startup: order=4,up=2$'
        $c1 | Should -Match '(?m)^scsi0: local-lvm:vm-1001-disk-0,size=32G$'
        $c1 | Should -Match '(?m)^cicustom: user=local:snippets/user-data-1001.yml,network=local:snippets/network-config-1001.yml$'
        $c2 = Get-Config $fake 1002
        $c2 | Should -Match '(?m)^scsi0: local-lvm:vm-1002-disk-0,size=64G$'
        $c2 | Should -Match '(?m)^startup: order=5,up=2$'
        (Get-PhoenixVm -VmId 1001, 1002).Status | Should -Be @('running', 'running')
        $snippet = Join-Path $fake.stateDir 'node/var/lib/vz/snippets/network-config-1002.yml'
        Get-Content -Raw $snippet | Should -Match '10\.20\.0\.72/24'
    }

    It 'deploys 1002 only after 1001, which it depends on' {
        $start1001 = [array]::IndexOf($audit1, 'qm start 1001')
        $clone1002 = [array]::IndexOf($audit1, 'qm clone 9000 1002 --name buildagent')
        $start1001 | Should -BeGreaterThan -1
        $clone1002 | Should -BeGreaterThan $start1001
    }

    It 'runs each VM''s features in order' {
        foreach ($vm in 1001, 1002) {
            $r = $first | Where-Object VmId -EQ $vm
            ($r.Changes -join "`n") | Should -Match '(?s)base_setup.*trusted_ca.*step_cli.*docker'
        }
    }

    It 'changes nothing on a second run, and says so' {
        $second = $specs | Deploy-PhoenixVm -FeaturePath $featureDir -AgentTimeoutSec 60 -WarningAction SilentlyContinue
        $second.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        $second.Changed | Should -Be @($false, $false, $false)
        $new = @(Get-Audit $fake | Select-Object -Skip $audit1.Count)
        $new.Count | Should -BeGreaterThan 0
        @($new | Where-Object { $_ -match $changing }) | Should -HaveCount 0
    }
}

Describe 'The original real-world file, when it sits beside the clone' `
    -Skip:(-not (Test-Path (Join-Path $env:PHOENIX_REPO_ROOT '../shared/realworld/phoenix_vm_configs.json'))) {
    # The in-repo fixture reproduces its shape; this runs on the original itself where a checkout has
    # it beside it (as CI does). The suite is complete without it.
    BeforeAll {
        $script:shared = Join-Path $env:PHOENIX_REPO_ROOT '../shared/realworld/phoenix_vm_configs.json'
        $script:session = Connect-PhoenixHost -Simulator -NoDefault
    }
    AfterAll { $session | Disconnect-PhoenixHost }

    It 'deploys as it is on the simulator, and a second run changes nothing' {
        $first = Import-PhoenixConfig -Path $shared -FeaturePath $featureDir -WarningAction SilentlyContinue |
            Deploy-PhoenixVm -Session $session -FeaturePath $featureDir -AgentTimeoutSec 60 -WarningAction SilentlyContinue
        $first.VmId | Should -Be @(9000, 1001, 1002)
        $first.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        ($first | Where-Object VmId -EQ 1001).Changed | Should -BeTrue
        $second = Import-PhoenixConfig -Path $shared -FeaturePath $featureDir -WarningAction SilentlyContinue |
            Deploy-PhoenixVm -Session $session -FeaturePath $featureDir -AgentTimeoutSec 60 -WarningAction SilentlyContinue
        $second.Changed | Should -Be @($false, $false, $false)
    }
}

Describe 'An empty node with the cloud image on the host' {
    BeforeAll {
        $script:run = Start-FakeHostSession -Empty
        $script:fake = $run.Fake; $script:session = $run.Session
        $image = Join-Path $fake.stateDir 'node/var/lib/vz/template/iso/noble-server-cloudimg-amd64.img'
        [System.IO.File]::WriteAllBytes($image, [byte[]](1..255))
    }
    AfterAll {
        Stop-FakeHostSession $run
    }

    It 'builds template 9000 with New-PhoenixTemplate steps, then the clones' {
        $r = Import-PhoenixConfig -Path $realWorld -FeaturePath $featureDir | Where-Object VmId -In 9000, 1001 |
            Deploy-PhoenixVm -FeaturePath $featureDir -AgentTimeoutSec 60 -WarningAction SilentlyContinue
        $r.Status | Should -Be @('Succeeded', 'Succeeded')
        $t = $r | Where-Object VmId -EQ 9000
        $t.Changes | Should -Contain 'created'
        $t.Changes | Should -Contain 'converted to template'
        (Get-PhoenixVm -VmId 9000).IsTemplate | Should -BeTrue
        $audit = @(Get-Audit $fake)
        $audit | Should -Contain "qm importdisk 9000 $($fake.stateDir)/node/var/lib/vz/template/iso/noble-server-cloudimg-amd64.img local-lvm"
        $audit | Should -Contain 'qm template 9000'
    }

    It 'leaves the template alone on a second run' {
        $again = Import-PhoenixConfig -Path $realWorld -FeaturePath $featureDir | Where-Object VmId -EQ 9000 | Deploy-PhoenixVm -WarningAction SilentlyContinue
        $again.Changed | Should -BeFalse
    }
}

Describe 'An interrupted deployment' {
    BeforeAll {
        $script:run = Start-FakeHostSession
        $script:fake = $run.Fake; $script:session = $run.Session
    }
    AfterAll {
        Stop-FakeHostSession $run
    }

    It 'is finished by the next run' {
        # A deploy in another pwsh, killed once its first clone is there.
        $script = ("Connect-PhoenixHost -HostName $($fake.host) -Port $($fake.port) -UserName $($fake.user) -KeyFile '$($fake.keyFile)' " +
            "-HostKeyFingerprint '$($fake.hostKeyFingerprint)' | Out-Null; ") +
            ("Import-PhoenixConfig -Path '$realWorld' -FeaturePath '$featureDir' | Deploy-PhoenixVm -FeaturePath '$featureDir' -ThrottleLimit 1 " +
                "-WarningAction SilentlyContinue")
        $child = Start-ChildPwsh $script
        $deadline = (Get-Date).AddSeconds(60)
        # The first command after the clone (its configuration being read) shows the clone has finished.
        $afterClone = { $a = @(Get-Audit $fake); $i = [array]::IndexOf($a, 'qm clone 9000 1001 --name Registry'); $i -ge 0 -and $a.Count -gt $i + 1 }
        while ((Get-Date) -lt $deadline -and -not (& $afterClone)) { Start-Sleep -Milliseconds 50 }
        (& $afterClone) | Should -BeTrue
        Stop-Process -Id $child.Id -Force
        $child.WaitForExit()
        (Get-Audit $fake) | Should -Not -Contain 'qm clone 9000 1002 --name buildagent'

        $r = Import-PhoenixConfig -Path $realWorld -FeaturePath $featureDir | Deploy-PhoenixVm -FeaturePath $featureDir -AgentTimeoutSec 60 `
            -WarningAction SilentlyContinue
        $r.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        $c1 = Get-Config $fake 1001
        $c1 | Should -Match '(?m)^cores: 4$'
        $c1 | Should -Match '(?m)^cicustom: user=local:snippets/user-data-1001.yml'
        $c1 | Should -Not -Match '(?m)^lock:'
        (Get-PhoenixVm -VmId 1001, 1002).Status | Should -Be @('running', 'running')
        $again = Import-PhoenixConfig -Path $realWorld -FeaturePath $featureDir | Deploy-PhoenixVm -FeaturePath $featureDir -WarningAction SilentlyContinue
        $again.Changed | Should -Be @($false, $false, $false)
    }
}

Describe 'A config of our own on the simulator' {
    BeforeAll {
        $script:node = Start-SimulatorNode
        $script:example = Join-Path $env:PHOENIX_REPO_ROOT 'examples/phoenix.example.json'
        $script:result = Import-PhoenixConfig -Path $example | Deploy-PhoenixVm -AgentTimeoutSec 30 -WarningAction SilentlyContinue
    }
    AfterAll {
        Stop-SimulatorNode $node
    }

    It 'deploys in dependency order and succeeds' {
        $result.VmId | Should -Be @(9000, 201, 202, 203)
        $result.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
    }

    It 'takes the pre-features, post-features and template_snapshot_name snapshots around the features' {
        $snaps = Get-PhoenixSnapshot -VmId 201
        $snaps.Name | Should -Be @('pre-features', 'post-features', 'docker-golden')
        ($snaps | Where-Object Name -EQ 'post-features').Parent | Should -Be 'pre-features'
        $steps = ($result | Where-Object VmId -EQ 201).Steps
        $order = $steps | Where-Object { -not $_.Skipped } | ForEach-Object Step
        $order | Should -Be @('Clone', 'Configure', 'CloudInit', 'Start', 'WaitAgent', 'PreFeaturesSnapshot', 'Features', 'PostFeaturesSnapshot')
    }

    It 'clones a VM from another VM''s template_snapshot_name snapshot' {
        ($result | Where-Object VmId -EQ 203).Changes | Should -Contain "cloned from VM 201 snapshot 'docker-golden' (full clone)"
        (Get-PhoenixSnapshot -VmId 203).Name | Should -Be @('after-docker')
    }

    It 'fits a 120-column table with the number of changes and the first one; Format-List has them all' {
        $lines = @(($result | Format-Table | Out-String -Width 120) -split "`r?`n" | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^\s+VmId Name\s+Status\s+Changes Duration First change$'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
        $r201 = $result | Where-Object VmId -EQ 201
        $row = $lines | Where-Object { $_ -match '^\s+201 ' }
        $row | Should -Match ("^\s+201 docker-01\s+Succeeded\s+$($r201.Changes.Count)\s+[\d.]+ s " + [regex]::Escape($r201.Changes[0]) + '$')
        $list = $r201 | Format-List | Out-String -Width 400
        foreach ($c in $r201.Changes) { $list | Should -BeLike "*$c*" }
        $list | Should -Match 'Steps\s+: Clone: '
    }

    It 'reports the time of each step' {
        $r = $result | Where-Object VmId -EQ 201
        $r.StepDurations.Keys | Should -Contain 'Clone'
        $r.Duration | Should -BeGreaterThan 0
    }

    It 'pipes every step as product.md shows' {
        $fresh = Connect-PhoenixHost -Simulator
        try {
        $snap = Import-PhoenixConfig -Path $example | Where-Object VmId -EQ 202 |
            New-PhoenixVm | Set-PhoenixCloudInit | Start-PhoenixVm | Wait-PhoenixGuestAgent -TimeoutSec 30 |
            Invoke-PhoenixFeature | New-PhoenixSnapshot -Name golden
        $snap | Should -HaveCount 1
        $snap.VmId | Should -Be 202
        $snap.Name | Should -Be 'golden'
        (Get-PhoenixSnapshot -VmId 202).Name | Should -Contain 'golden'
        (Get-PhoenixVm -VmId 202).Status | Should -Be 'running'
        } finally { $fresh | Disconnect-PhoenixHost }
    }
}

Describe 'Deploy-PhoenixVm -WhatIf' {
    BeforeAll { $script:node = Start-SimulatorNode -NoDefault }
    AfterAll { Stop-SimulatorNode $node }

    It 'shows each VM under its own line with the exact commands of its plan, in dependency order, and creates nothing' {
        $w = Get-HostOutput {
            Import-PhoenixConfig -Path (Join-Path $env:PHOENIX_REPO_ROOT 'examples/phoenix.example.json') -WarningAction SilentlyContinue |
                Deploy-PhoenixVm -Session $node.Session -WhatIf -WarningAction SilentlyContinue
        }
        $w.Output | Should -BeNullOrEmpty
        $lines = @($w.Text -split "`r?`n" | Where-Object { $_ -like 'What if:*' })
        $heads = @($lines | Where-Object { $_ -like 'What if: Performing the operation "Deploy" on target*' })
        $heads | Should -Be @(
            'What if: Performing the operation "Deploy" on target "VM 9000 (ubuntu-2404-cloud-template)".'
            'What if: Performing the operation "Deploy" on target "VM 201 (docker-01)".'
            'What if: Performing the operation "Deploy" on target "VM 202 (web-02)".'
            'What if: Performing the operation "Deploy" on target "VM 203 (docker-02)".')
        $lines[1] | Should -Be 'What if:     nothing to change'
        $lines[3] | Should -Be 'What if:     qm clone 9000 201 --name docker-01'
        $lines | Should -Contain 'What if:     qm clone 201 203 --name docker-02 --snapname docker-golden --storage local-lvm'
        $lines | Should -Contain 'What if:     qm start 202'
        ([array]::IndexOf($lines, $heads[2])) | Should -BeLessThan ([array]::IndexOf($lines, 'What if:     qm start 202'))
        # Guest programs show by what they do; file writes and qm commands stay exact.
        $docker = (Get-Item (Join-Path $env:PHOENIX_MODULE_DIR 'features/feature_install_docker.sh')).Length.ToString('N0', [cultureinfo]::InvariantCulture)
        @($lines | Where-Object { $_ -match ('^What if:     in the guest: write /tmp/vm_context\.json \([\d,]+ bytes\), ' +
            [regex]::Escape("run feature docker ($docker bytes), follow its log") + '$') }).Count | Should -BeGreaterThan 0
        $lines | Should -Contain 'What if:     write 1129 bytes to /var/lib/vz/snippets/user-data-201.yml (mode 0600)'
        $lines | Where-Object { $_ -like '*qm guest exec*' } | Should -BeNullOrEmpty
        ($lines | Measure-Object -Maximum Length).Maximum | Should -BeLessOrEqual 140
        (Invoke-OnNode $node 'qm', 'list') | Should -Not -Match '\b20[123]\b'
    }
}

Describe 'WhatIf wins' {
    It 'changes nothing under $WhatIfPreference, even with -Confirm:$false' {
        $fresh = Connect-PhoenixHost -Simulator
        try {
            $WhatIfPreference = $true
            $r = Import-PhoenixConfig -Path (Join-Path $env:PHOENIX_REPO_ROOT 'examples/phoenix.example.json') | Deploy-PhoenixVm -Confirm:$false `
                -WarningAction SilentlyContinue
            $WhatIfPreference = $false
            $r | Should -BeNullOrEmpty
            (Get-PhoenixVm).VmId | Should -Be @(9000)
        } finally { $WhatIfPreference = $false; $fresh | Disconnect-PhoenixHost }
    }
}

Describe 'Dependencies outside the file' {
    BeforeAll {
        $script:session = Connect-PhoenixHost -Simulator
    }
    AfterAll { $session | Disconnect-PhoenixHost }

    It 'fails the VM with -RequireDependency and skips what depends on it' {
        $err = $null
        $r = Import-PhoenixConfig -Path $realWorld -FeaturePath $featureDir | Deploy-PhoenixVm -FeaturePath $featureDir -RequireDependency `
            -AgentTimeoutSec 30 -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        ($r | Where-Object VmId -EQ 1001).Status | Should -Be 'Failed'
        ($r | Where-Object VmId -EQ 1002).Status | Should -Be 'Skipped'
        ($err | Where-Object { $_.TargetObject -eq 1001 }).FullyQualifiedErrorId | Should `
            -Be 'DependencyNotReady,Phoenix.PowerShell.Commands.DeployPhoenixVmCommand'
        ($err | Where-Object { $_.TargetObject -eq 1001 }).Exception.Message | Should -BeLike '*depends on 102, which does not exist*'
        (Get-PhoenixVm).VmId | Should -Not -Contain 1001
    }
}

Describe 'Locks during a deployment' {
    BeforeAll {
        $script:node = Start-SimulatorNode
    }
    AfterAll {
        Stop-SimulatorNode $node
    }

    It 'waits out "VM is locked (clone)" and "can''t lock file ... got timeout" and succeeds' {
        $faults = @{
            failures = @(
                @{ kind = 'set'; vmid = 1001; count = 2; exitCode = 255; stderr = "VM is locked (clone)`n" }
                @{ kind = 'start'; vmid = 1002; count = 2; exitCode = 255;
                    stderr = "trying to acquire lock...`ncan't lock file '/var/lock/qemu-server/lock-1002.conf' - got timeout`n" }
            )
        } | ConvertTo-Json -Depth 5
        Set-Content -Path (Join-Path $node.Dir 'faults.json') -Value $faults
        $out = Import-PhoenixConfig -Path $realWorld -FeaturePath $featureDir |
            Deploy-PhoenixVm -FeaturePath $featureDir -AgentTimeoutSec 30 -WarningAction SilentlyContinue -Verbose 4>&1
        $results = $out | Where-Object { $_ -is (Get-PhoenixType Phoenix.Engine.Workflow.DeployResult) }
        $results.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        $verbose = ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match 'VM 1001 is locked \(clone\); waiting'
        $verbose | Should -Match "VM 1002.*waiting"
        (Get-PhoenixVm -VmId 1001, 1002).Status | Should -Be @('running', 'running')
    }
}
