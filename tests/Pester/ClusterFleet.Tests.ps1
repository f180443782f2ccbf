# A fleet on the three-node fake cluster, over SSH: 30 VMs spread over pve1..pve3 in one config and one Deploy-PhoenixVm
# (templates on local and on shared storage, on the VM's own node and on another node, a clone from another VM's
# snapshot), re-deployed without a changing command, the placement shown by Get-PhoenixVm; then a node stopped in the
# middle of a deploy: only its VMs fail, naming the node, and once it is back a re-run converges.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    $script:changing = Get-ChangingCommandPattern
    $script:fake = Start-FakeHost -Nodes 3
    $script:nodes = @{}
    foreach ($n in $fake.nodes) { $script:nodes[$n.node] = $n }
    $endpoints = @{}
    $prints = @{}
    foreach ($n in $fake.nodes) { $endpoints[$n.node] = "$($n.host):$($n.port)"; $prints[$n.node] = $n.hostKeyFingerprint }
    $script:session = Connect-PhoenixHost -HostName $fake.host -Port $fake.port -UserName $fake.user -KeyFile $fake.keyFile `
        -HostKeyFingerprint $fake.hostKeyFingerprint -NodeEndpoint $endpoints -NodeHostKeyFingerprint $prints -NoDefault

    function script:Invoke-On([string] $Node, [string[]] $Command) {
        $c = New-FakeHostConnection $nodes[$Node]
        try {
            $r = Invoke-Remote $c $Command
            if ($r.ExitCode -ne 0) { throw "$($Command -join ' ') on ${Node}: $($r.StdErr)" }
            $r
        } finally { $c.Dispose() }
    }

    # The templates: 9000 (local-lvm) as the fake cluster seeds it on pve1, 9001 on the shared NFS storage on pve1, and
    # 9002 and 9003 on local-lvm of pve2 and pve3 (cloned on pve1, moved there offline, then made templates).
    Invoke-On pve1 'qm', 'clone', '9000', '9001', '--name', 'tpl-shared', '--full', '--storage', 'shared', '--format', 'qcow2' | Out-Null
    Invoke-On pve1 'qm', 'template', '9001' | Out-Null
    foreach ($t in @{ Id = 9002; Node = 'pve2' }, @{ Id = 9003; Node = 'pve3' }) {
        Invoke-On pve1 'qm', 'clone', '9000', "$($t.Id)", '--name', "tpl-$($t.Node)", '--full' | Out-Null
        Invoke-On pve1 'qm', 'migrate', "$($t.Id)", $t.Node | Out-Null
        Invoke-On $t.Node 'qm', 'template', "$($t.Id)" | Out-Null
    }

    function script:New-FleetConfig([object[]] $Vms) {
        $path = Join-Path $TestDrive ('fleet-' + [guid]::NewGuid().ToString('n').Substring(0, 6) + '.json')
        $user = @{ username = 'phoenix'; ssh_public_keys = @((Get-TestSecret).Ed25519Key) }
        @{ vm_defaults = @{ user_config = $user; cores = 1; memory_mb = 512 }; vms = $Vms } | ConvertTo-Json -Depth 10 |
            Set-Content -LiteralPath $path
        $path
    }

    # Deploys a config on the cluster session; the results, the errors and the audit lines the run added.
    function script:Invoke-Deploy([string] $Path, [hashtable] $With = @{}) {
        $before = @(Get-Audit $fake).Count
        $err = $null
        $results = @(Import-PhoenixConfig -Path $Path | Deploy-PhoenixVm -Session $session -ThrottleLimit 4 -AgentTimeoutSec 60 -LockWaitSec 10 `
                -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue @With)
        [pscustomobject]@{ Results = $results; Errors = @($err); Audit = @(Get-Audit $fake | Select-Object -Skip $before) }
    }
}

AfterAll {
    if ($session) { $session | Disconnect-PhoenixHost }
    if ($fake) {
        Remove-Item (Join-Path $fake.stateDir 'faults.json') -ErrorAction Ignore
        Stop-FakeHost $fake
    }
}

Describe '30 VMs over three nodes, deployed and re-deployed' {
    BeforeAll {
        # VMID -> (node, source): on their own node from the local and the shared template, from templates of other nodes
        # (shared: clone --target; local: clone and migrate), and 230 from VM 221's snapshot 'golden'.
        $script:plan = @{}
        foreach ($i in 201..205) { $plan[$i] = @{ node = 'pve1'; clone_from_vmid = 9000 } }
        foreach ($i in 206..210) { $plan[$i] = @{ node = 'pve1'; clone_from_vmid = 9001 } }
        foreach ($i in 211..217) { $plan[$i] = @{ node = 'pve2'; clone_from_vmid = 9002 } }
        foreach ($i in 218..220) { $plan[$i] = @{ node = 'pve2'; clone_from_vmid = 9001 } }
        foreach ($i in 221..227) { $plan[$i] = @{ node = 'pve3'; clone_from_vmid = 9003 } }
        foreach ($i in 228..229) { $plan[$i] = @{ node = 'pve3'; clone_from_vmid = 9000 } }
        $plan[230] = @{ node = 'pve3'; clone_from_vmid = 221 }
        $vms = foreach ($id in 201..230) {
            $vm = [ordered]@{ vmid = $id; name = "fleet-$id"; node = $plan[$id].node; clone_from_vmid = $plan[$id].clone_from_vmid }
            if ($id -eq 221) { $vm.template_snapshot_name = 'golden' }
            $vm
        }
        $script:cfg = New-FleetConfig $vms
        $script:run1 = Invoke-Deploy $cfg
        $script:run2 = Invoke-Deploy $cfg
    }

    It 'deploys every VM on its node' {
        $run1.Errors | Should -BeNullOrEmpty
        @($run1.Results | Where-Object Status -NE 'Succeeded') | Should -BeNullOrEmpty
        $run1.Results | Should -HaveCount 30
        # Each node ran its own VMs' clones and starts.
        foreach ($id in $plan.Keys) {
            $log = Get-Content (Join-Path $fake.stateDir "commands.$($plan[$id].node).log")
            $log | Should -Contain "qm start $id"
        }
    }

    It 'crosses nodes as Proxmox allows: --target from shared storage, clone and migrate from local storage' {
        foreach ($id in 218..220) { $run1.Audit | Should -Contain "qm clone 9001 $id --name fleet-$id --target pve2" -Because "VM $id" }
        foreach ($id in 228..229) {
            @($run1.Audit -match "^qm clone 9000 $id ") | Should -HaveCount 1
            @($run1.Audit -match "^qm migrate $id pve3$") | Should -HaveCount 1
        }
        @($run1.Audit -match '^qm clone 221 230 .*--snapname golden') | Should -HaveCount 1
    }

    It 'changes nothing when deployed again' {
        $run2.Errors | Should -BeNullOrEmpty
        @($run2.Results | Where-Object Status -NE 'Succeeded') | Should -BeNullOrEmpty
        @($run2.Results | Where-Object Changed) | Should -BeNullOrEmpty
        @($run2.Audit -match $changing) | Should -BeNullOrEmpty
    }

    It 'refuses, before any change, a VMID that a VM of another node holds' {
        $before = @(Get-Audit $fake).Count
        { Invoke-Deploy (New-FleetConfig @([ordered]@{ vmid = 211; name = 'taken-211'; node = 'pve1'; clone_from_vmid = 9000 })) } |
            Should -Throw -ExpectedMessage "*VMID 211 is taken by VM 'fleet-211' on node 'pve2'*"
        @(Get-Audit $fake | Select-Object -Skip $before | Where-Object { $_ -match $changing }) | Should -BeNullOrEmpty
    }

    It 'Get-PhoenixVm shows each VM on its node' {
        $vms = @(Get-PhoenixVm -Session $session -Name 'fleet-*')
        $vms | Should -HaveCount 30
        foreach ($vm in $vms) { $vm.Node | Should -Be $plan[$vm.VmId].node -Because "VM $($vm.VmId)" }
    }
}

Describe 'template_copies: each node keeps its own copy of the template' {
    BeforeAll {
        # Template 9000 is on pve1's local-lvm; pve2 and pve3 get copies 9012 and 9013, made by the first VM that needs one.
        $copies = @{ pve2 = 9012; pve3 = 9013 }
        $vms = foreach ($v in @{ id = 241; node = 'pve2' }, @{ id = 242; node = 'pve2' }, @{ id = 243; node = 'pve3' }, @{ id = 244; node = 'pve3' }) {
            [ordered]@{ vmid = $v.id; name = "copy-$($v.id)"; node = $v.node; template_vmid = 9000; template_copies = $copies }
        }
        $script:copyCfg = New-FleetConfig $vms
        $before = @(Get-Audit $fake).Count
        $null = Import-PhoenixConfig -Path $copyCfg | Deploy-PhoenixVm -Session $session -WhatIf -InformationVariable plan -WarningAction SilentlyContinue 6>$null
        $script:whatIfAudit = @(Get-Audit $fake | Select-Object -Skip $before)
        $script:copyPlan = @($plan | Where-Object { $_.Tags -contains 'PhoenixPlan' } | ForEach-Object { $_.MessageData.Plan })
        $script:copyRuns = foreach ($i in 1..3) { , (Invoke-Deploy $copyCfg) }
    }

    It '-WhatIf plans each copy once, says why, and changes nothing' {
        @($whatIfAudit -match $changing) | Should -BeNullOrEmpty
        foreach ($copy in @{ id = 9012; node = 'pve2' }, @{ id = 9013; node = 'pve3' }) {
            @($copyPlan -eq "qm clone 9000 $($copy.id) --name ubuntu-2404-cloud-template-$($copy.node) --full 1") | Should -HaveCount 1
            @($copyPlan -eq "qm migrate $($copy.id) $($copy.node)") | Should -HaveCount 1
            @($copyPlan -eq "on node '$($copy.node)': qm template $($copy.id)") | Should -HaveCount 1
        }
        @($copyPlan -like "placed on node 'pve2': cloned from VM 9012, node 'pve2''s copy of template 9000 (template_copies)*") | Should -HaveCount 2
        $copyPlan | Should -Contain "on node 'pve3': qm clone 9013 244 --name copy-244"
    }

    It 'makes each copy once over SSH and clones every VM from its own node''s copy' {
        $run = $copyRuns[0]
        $run.Errors | Should -BeNullOrEmpty
        @($run.Results | Where-Object Status -NE 'Succeeded') | Should -BeNullOrEmpty
        foreach ($copy in @{ id = 9012; node = 'pve2' }, @{ id = 9013; node = 'pve3' }) {
            @($run.Audit -match "^qm clone 9000 $($copy.id) ") | Should -HaveCount 1
            @($run.Audit -match "^qm migrate $($copy.id) $($copy.node)$") | Should -HaveCount 1
            @($run.Audit -match "^qm template $($copy.id)$") | Should -HaveCount 1
            Get-Content (Join-Path $fake.stateDir "commands.$($copy.node).log") | Should -Contain "qm template $($copy.id)"
        }
        foreach ($id in 241, 242) { $run.Audit | Should -Contain "qm clone 9012 $id --name copy-$id" }
        foreach ($id in 243, 244) { $run.Audit | Should -Contain "qm clone 9013 $id --name copy-$id" }
        @($run.Audit -match '^qm clone 9000 24\d ') | Should -BeNullOrEmpty
        (Invoke-On pve2 'qm', 'config', '9012').StdOut | Should -Match '(?m)^template: 1$'
    }

    It 'runs 2 and 3 change nothing' {
        foreach ($run in $copyRuns[1], $copyRuns[2]) {
            $run.Errors | Should -BeNullOrEmpty
            @($run.Results | Where-Object Changed) | Should -BeNullOrEmpty
            @($run.Audit -match $changing) | Should -BeNullOrEmpty
        }
    }
}

Describe 'What Proxmox would refuse across nodes, and a migration resumed after a cut-off' {
    It 'a storage_pool not enabled on the VM''s node (tank: pve1 and pve2 only) is an error at its JSON path, naming VM, storage and node' {
        $before = @(Get-Audit $fake).Count
        { Invoke-Deploy (New-FleetConfig @([ordered]@{ vmid = 251; name = 'on-tank'; node = 'pve3'; clone_from_vmid = 9000; storage_pool = 'tank' })) } |
            Should -Throw -ExpectedMessage "*vms``[0``].storage_pool*storage_pool 'tank' is not enabled on node 'pve3' (it is on pve1, pve2)*"
        @(Get-Audit $fake | Select-Object -Skip $before | Where-Object { $_ -match $changing }) | Should -BeNullOrEmpty
    }

    It '<why>: refused before any change, naming the VM, the nodes and the reason' -ForEach @(
        # Valid for the VM's node (pve2 has tank); the clone runs on pve3, where template 9003 is and tank is not.
        @{ why = 'a full clone onto a storage the source''s node lacks'; With = @{ FullClone = $true }
            Vm = [ordered]@{ vmid = 252; name = 'from-three'; node = 'pve2'; clone_from_vmid = 9003; storage_pool = 'tank' }
            Message = "VM 252 (from-three) is to be on node 'pve2', cloned from VM 9003 on node 'pve3': storage 'tank' is not available on node 'pve3'*Nothing was changed." }
        @{ why = 'a source with a local cdrom image on another node (VM 9005: local:iso/tools.iso)'; With = @{}
            Vm = [ordered]@{ vmid = 253; name = 'from-iso'; node = 'pve2'; clone_from_vmid = 9005 }
            Message = "VM 253 (from-iso) is to be on node 'pve2', cloned from VM 9005 on node 'pve1': VM 9005 has ide2 on local storage (local:iso/tools.iso)*Nothing was changed." }
        @{ why = '-FullClone:$false with local source volumes on another node (a linked clone cannot migrate)'; With = @{ FullClone = $false }
            Vm = [ordered]@{ vmid = 254; name = 'linked-far'; node = 'pve3'; clone_from_vmid = 9000 }
            Message = "VM 254 (linked-far) is to be on node 'pve3', cloned from VM 9000 on node 'pve1': a linked clone of VM 9000's local volumes*cannot be migrated*Nothing was changed." }
    ) {
        $r = Invoke-Deploy (New-FleetConfig @($Vm)) $With
        $r.Results.Status | Should -Be 'Failed'
        $r.Errors.Exception.Message | Should -BeLike $Message
        @($r.Audit -match $changing) | Should -BeNullOrEmpty
    }

    It 'a deploy cut off after the clone, before the migration: the re-run migrates and converges, the next changes nothing' {
        $cfg = New-FleetConfig @([ordered]@{ vmid = 255; name = 'cut-255'; node = 'pve3'; clone_from_vmid = 9000 })
        Set-Content (Join-Path $fake.stateDir 'faults.json') '{ "drops": [ { "kind": "migrate", "phase": "before" } ] }'
        try { $cut = Invoke-Deploy $cfg } finally { Remove-Item (Join-Path $fake.stateDir 'faults.json') }
        $cut.Results.Status | Should -Be 'Failed'
        @($cut.Audit -match '^qm clone 9000 255 ') | Should -HaveCount 1
        # The audit line is written as a command starts: the dropped migrate is there, but the VM stayed on pve1.
        (Invoke-On pve1 'qm', 'config', '255').StdOut | Should -Match '(?m)^name: cut-255$'

        $again = Invoke-Deploy $cfg
        $again.Errors | Should -BeNullOrEmpty
        $again.Results.Status | Should -Be 'Succeeded'
        $again.Results.Steps[0].Changes | Should -Be "migrated offline from node 'pve1' to 'pve3' (an earlier run cloned it there and was cut off before its migration)"
        @($again.Audit -match '^qm clone ') | Should -BeNullOrEmpty
        @($again.Audit -match '^qm migrate 255 pve3$') | Should -HaveCount 1
        (Get-PhoenixVm -Session $session -VmId 255).Node | Should -Be 'pve3'
        $third = Invoke-Deploy $cfg
        @($third.Results | Where-Object Changed) | Should -BeNullOrEmpty
        @($third.Audit -match $changing) | Should -BeNullOrEmpty
    }
}

Describe 'A node stopped in the middle of a deploy' {
    BeforeAll {
        # Two VMs on pve3, one on each other node.
        $vms = foreach ($n in @{ Id = 301; Node = 'pve1'; From = 9000 }, @{ Id = 302; Node = 'pve2'; From = 9002 }, @{ Id = 303; Node = 'pve3'; From = 9003 },
            @{ Id = 304; Node = 'pve3'; From = 9003 }) {
            [ordered]@{ vmid = $n.Id; name = "down-$($n.Id)"; node = $n.Node; clone_from_vmid = $n.From }
        }
        $script:cfg = New-FleetConfig $vms
        $faults = Join-Path $fake.stateDir 'faults.json'
        $pve3log = Join-Path $fake.stateDir 'commands.pve3.log'
        $skip = @(Get-Content $pve3log).Count
        # pve3 goes down once it has started its first VM of this run.
        $job = Start-ThreadJob {
            param($FakeHost, $Skip, $Faults, $Log)
            Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1')
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while ([DateTime]::UtcNow -lt $deadline) {
                if (@(Get-Content $Log | Select-Object -Skip $Skip) -match '^qm start 30[34]$') { break }
                Start-Sleep -Milliseconds 10
            }
            Set-Content $Faults '{ "nodesDown": [ "pve3" ] }'
        } -ArgumentList $fake, $skip, $faults, $pve3log
        $script:down = Invoke-Deploy $cfg
        $job | Wait-Job | Remove-Job
        Remove-Item $faults
        # The supervisor starts pve3's sshd again.
        for ($i = 0; $i -lt 300 -and -not (Test-PortOpen $nodes['pve3'].port); $i++) { Start-Sleep -Milliseconds 100 }
        $script:back = Invoke-Deploy $cfg
        $script:again = Invoke-Deploy $cfg
    }

    It 'fails only the VMs of the node that went down, each error naming the node and the fix' {
        @($down.Results | Where-Object Status -EQ 'Succeeded').VmId | Sort-Object | Should -Be @(301, 302)
        @($down.Results | Where-Object Status -EQ 'Failed').VmId | Sort-Object | Should -Be @(303, 304)
        $down.Errors | Should -HaveCount 2
        foreach ($e in $down.Errors) {
            $e.Exception.Message | Should -Match "^VM 30[34] \(down-30[34]\) on node 'pve3' did not deploy: node 'pve3' did not answer\. "
            $e.Exception.Message | Should -BeLike "*Start node 'pve3' again*, then run Deploy-PhoenixVm again with the same config*"
            $e.ErrorDetails.RecommendedAction | Should -BeLike "Start node 'pve3' again*"
        }
    }

    It 'converges on a re-run once the node is back, and the run after that changes nothing' {
        $back.Errors | Should -BeNullOrEmpty
        @($back.Results | Where-Object Status -NE 'Succeeded') | Should -BeNullOrEmpty
        $again.Errors | Should -BeNullOrEmpty
        @($again.Audit -match $changing) | Should -BeNullOrEmpty
        @(Get-PhoenixVm -Session $session -Name 'down-*' | Where-Object Status -EQ 'running') | Should -HaveCount 4
    }

    It 'fails the VMs of a node the run''s listing has offline at once, naming the node, and deploys the others' {
        $faults = Join-Path $fake.stateDir 'faults.json'
        Set-Content $faults '{ "nodesDown": [ "pve3" ] }'
        try {
            # The session still has pve3 online and its connection open from the runs before.
            for ($i = 0; $i -lt 300 -and (Test-PortOpen $nodes['pve3'].port); $i++) { Start-Sleep -Milliseconds 100 }
            $off = Invoke-Deploy $cfg
        } finally { Remove-Item $faults }
        @($off.Results | Where-Object Status -EQ 'Succeeded').VmId | Sort-Object | Should -Be @(301, 302)
        @($off.Errors.FullyQualifiedErrorId | ForEach-Object { ($_ -split ',')[0] }) | Should -Be @('NodeDown', 'NodeDown')
        $off.Errors[0].Exception.Message | Should -BeLike "VM 30[34] (down-30[34]) is to be on node 'pve3', which is down (the cluster lists it offline); it was not deployed."
        $off.Errors[0].ErrorDetails.RecommendedAction | Should -BeLike "Start node 'pve3' again, then deploy again*"
        @($off.Audit -match $changing) | Should -BeNullOrEmpty
    }

    It 'says plainly that the cluster has no quorum when two of the three nodes are down, and changes nothing' {
        $faults = Join-Path $fake.stateDir 'faults.json'
        Set-Content $faults '{ "nodesDown": [ "pve2", "pve3" ] }'
        try {
            $lone = Invoke-Deploy (New-FleetConfig @([ordered]@{ vmid = 310; name = 'quorum-310'; node = 'pve1'; clone_from_vmid = 9000 }))
        } finally { Remove-Item $faults }
        $lone.Results.Status | Should -Be 'Failed'
        $lone.Errors | Should -HaveCount 1
        $lone.Errors[0].FullyQualifiedErrorId | Should -BeLike 'NoQuorum,*'
        $lone.Errors[0].Exception.Message | Should -BeLike 'VM 310 (quorum-310) did not deploy: The cluster has no quorum (fewer than half of its nodes are up)*Start the nodes that are down*'
        @($lone.Audit -match $changing) | Should -Be @('qm clone 9000 310 --name quorum-310')
    }
}
