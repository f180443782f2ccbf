# A Proxmox cluster as Phoenix sees it: the session discovers the nodes (/cluster/status), validation checks nodes,
# storages and VMIDs against the whole cluster (/cluster/resources), on the in-process simulator cluster and on the
# three-node fake host over SSH (a connection per node, opened only when needed, each with its own host key).
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    # A simulated cluster pve1..pve3 in a state folder: ZFS pool 'tank' enabled on pve1 and pve2 only, container 150 on
    # pve1 and VM 120 'other' on pve3; the session is on pve1 and not the default.
    function New-SimCluster {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('phoenix-cluster-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
        $opts = (Get-PhoenixType Phoenix.Simulator.SimulatorOptions)::new()
        $opts.StateDirectory = $dir
        $opts.AgentStartupDelay = [TimeSpan]::Zero
        foreach ($n in 'pve1', 'pve2', 'pve3') { $opts.ClusterNodes.Add($n) }
        $opts.ZfsStorages.Add('tank')
        $ct = (Get-PhoenixType Phoenix.Simulator.Faults.SimulatedContainer)::new()
        $ct.VmId = 150; $ct.Name = 'dns'
        $opts.Containers.Add($ct)
        $sim = (Get-PhoenixType Phoenix.Simulator.ProxmoxSimulator)::new($opts)
        $cfg = [System.Text.Encoding]::UTF8.GetString($sim.Store.ReadFile('/etc/pve/storage.cfg'))
        $sim.Store.WriteFile('/etc/pve/storage.cfg', [System.Text.Encoding]::UTF8.GetBytes($cfg.Replace("`tsparse 1`n", "`tsparse 1`n`tnodes pve1,pve2`n")), 416)
        $node = [pscustomobject]@{ Dir = $dir; Sim = $sim; Session = $null }
        $null = $sim.ForNode('pve3').Execute([string[]]@('qm', 'create', '120', '--name', 'other', '--memory', '512'), [byte[]]::new(0), [System.Threading.CancellationToken]::None)
        $node.Session = Connect-PhoenixHost -Simulator -StatePath $dir -ClusterNode pve1, pve2, pve3 -Node pve1 -NoDefault
        $node
    }

    function New-TestConfig([string] $Json) {
        $path = Join-Path $TestDrive ('c-' + [guid]::NewGuid().ToString('n').Substring(0, 6) + '.json')
        Set-Content -LiteralPath $path -Value $Json -NoNewline
        $path
    }
}

Describe 'A session on a simulated cluster' {
    BeforeAll { $script:c = New-SimCluster }
    AfterAll { Stop-SimulatorNode $c }

    It 'knows the cluster''s nodes, which one it is on, and that none other is connected yet' {
        $s = $c.Session
        $s.IsCluster | Should -BeTrue
        $s.ClusterName | Should -Be 'phoenix'
        $s.Node | Should -Be 'pve1'
        @($s.Nodes.Name) | Should -Be @('pve1', 'pve2', 'pve3')
        @($s.Nodes | Where-Object IsLocal).Name | Should -Be 'pve1'
        @($s.Nodes | Where-Object IsConnected).Name | Should -Be 'pve1'
        @($s.Nodes.IsOnline) | Should -Be @($true, $true, $true)
        @($s.Nodes.Address) | Should -Be @('10.0.0.11', '10.0.0.12', '10.0.0.13')
    }

    It 'Get-PhoenixHost reads the nodes'' state again: a node down shows offline' {
        Set-Content (Join-Path $c.Dir 'faults.json') '{ "nodesDown": [ "pve3" ] }'
        try {
            $s = Get-PhoenixHost | Where-Object Id -EQ $c.Session.Id
            ($s.Nodes | Where-Object Name -EQ 'pve3').IsOnline | Should -BeFalse
            ($s.Nodes | Where-Object Name -EQ 'pve2').IsOnline | Should -BeTrue
        } finally { Remove-Item (Join-Path $c.Dir 'faults.json') }
        $s = Get-PhoenixHost | Where-Object Id -EQ $c.Session.Id
        ($s.Nodes | Where-Object Name -EQ 'pve3').IsOnline | Should -BeTrue
    }

    It 'a lone simulated node is no cluster and asks nothing' {
        $lone = Connect-PhoenixHost -Simulator -NoDefault
        try {
            $lone.IsCluster | Should -BeFalse
            @($lone.Nodes.Name) | Should -Be @('pve')
        } finally { $lone | Disconnect-PhoenixHost }
    }
}

Describe 'Validation against the cluster' {
    BeforeAll { $script:c = New-SimCluster }
    AfterAll { Stop-SimulatorNode $c }

    It 'an unknown node is an error at its JSON path, naming the nodes' {
        $path = New-TestConfig '{ "vms": [ { "vmid": 201, "name": "a", "node": "pve9", "clone_from_vmid": 9000 } ] }'
        $f = @(Test-PhoenixConfig $path -Session $c.Session | Where-Object Severity -EQ 'Error')
        $f | Should -HaveCount 1
        $f[0].Rule | Should -Be 'NodeUnknown'
        $f[0].JsonPath | Should -Be 'vms[0].node'
        $f[0].Message | Should -Be "vms[0].node (line 1): node 'pve9' is not a node of the cluster (its nodes: pve1, pve2, pve3)."
        $f[0].Suggestion | Should -Be 'Use one of: pve1, pve2, pve3.'
    }

    It 'a node inherited from vm_defaults is checked where vm_defaults says it' {
        $path = New-TestConfig '{ "vm_defaults": { "node": "nope" }, "vms": [ { "vmid": 201, "name": "a", "clone_from_vmid": 9000 } ] }'
        $f = @(Test-PhoenixConfig $path -Session $c.Session | Where-Object Severity -EQ 'Error')
        $f.Rule | Should -Be 'NodeUnknown'
        $f.JsonPath | Should -Be 'vm_defaults.node'
    }

    It 'a storage not enabled on the VM''s node is an error naming where it is and the storages that would do' {
        $path = New-TestConfig '{ "vms": [ { "vmid": 201, "name": "a", "node": "pve3", "storage_pool": "tank", "clone_from_vmid": 9000 } ] }'
        $f = @(Test-PhoenixConfig $path -Session $c.Session | Where-Object Severity -EQ 'Error')
        $f.Rule | Should -Be 'StorageNotOnNode'
        $f.JsonPath | Should -Be 'vms[0].storage_pool'
        $f.Message | Should -BeLike "*: storage_pool 'tank' is not enabled on node 'pve3' (it is on pve1, pve2)*"
        $f.Suggestion | Should -Be "Use a storage of node 'pve3' (local-lvm, shared), or place the VM on pve1 or pve2 with `"node`"."
        # The same storage on a node that has it is fine; a storage without images content is not.
        Test-PhoenixConfig (New-TestConfig '{ "vms": [ { "vmid": 201, "name": "a", "node": "pve2", "storage_pool": "tank", "clone_from_vmid": 9000 } ] }') -Session $c.Session |
            Where-Object Severity -EQ 'Error' | Should -BeNullOrEmpty
        $f = @(Test-PhoenixConfig (New-TestConfig '{ "vms": [ { "vmid": 201, "name": "a", "node": "pve2", "storage_pool": "local", "clone_from_vmid": 9000 } ] }') -Session $c.Session |
            Where-Object Severity -EQ 'Error')
        $f.Rule | Should -Be 'StorageNoImages'
        $f = @(Test-PhoenixConfig (New-TestConfig '{ "vms": [ { "vmid": 201, "name": "a", "node": "pve2", "storage_pool": "nosuch", "clone_from_vmid": 9000 } ] }') -Session $c.Session |
            Where-Object Severity -EQ 'Error')
        $f.Rule | Should -Be 'StorageUnknown'
    }

    It 'a VMID held by a container or by another VM anywhere in the cluster is an error; the same VM on another node a warning' {
        $f = @(Test-PhoenixConfig (New-TestConfig '{ "vms": [ { "vmid": 150, "name": "a", "node": "pve2", "clone_from_vmid": 9000 } ] }') -Session $c.Session |
            Where-Object Severity -EQ 'Error')
        $f.Rule | Should -Be 'VmIdTaken'
        $f.JsonPath | Should -Be 'vms[0].vmid'
        $f.Message | Should -Be "vms[0].vmid (line 1): VMID 150 is taken by container 'dns' (CT 150) on node 'pve1'; VMIDs are unique in the whole cluster, containers included."
        # Without any node named, the session being on a cluster is reason enough to check.
        $f = @(Test-PhoenixConfig (New-TestConfig '{ "vms": [ { "vmid": 120, "name": "mine", "clone_from_vmid": 9000 } ] }') -Session $c.Session |
            Where-Object Severity -EQ 'Error')
        $f.Message | Should -Be "vms[0].vmid (line 1): VMID 120 is taken by VM 'other' on node 'pve3'; VMIDs are unique in the whole cluster."
        $all = @(Test-PhoenixConfig (New-TestConfig '{ "vms": [ { "vmid": 120, "name": "other", "node": "pve1", "clone_from_vmid": 9000 } ] }') -Session $c.Session)
        @($all | Where-Object Severity -EQ 'Error') | Should -BeNullOrEmpty
        ($all | Where-Object Rule -EQ 'VmOnOtherNode').Message | Should -BeLike "*: VM 120 exists on node 'pve3', not on 'pve1'*"
    }

    It 'a clone source on another node counts as on the host (qm list on the session''s node would not show it)' {
        $all = @(Test-PhoenixConfig (New-TestConfig '{ "vms": [ { "vmid": 201, "name": "a", "node": "pve3", "clone_from_vmid": 120 } ] }') -Session $c.Session)
        @($all | Where-Object Rule -EQ 'CloneSourceMissing') | Should -BeNullOrEmpty
    }

    It 'Test-PhoenixConfig predicts the deploy''s placement refusals at the clone source''s JSON path, reading each source once' {
        # VM 126 on pve1 has an ISO of local storage in its cdrom; VM 120 'other' is on pve3, where 'tank' is not.
        $null = $c.Sim.ForNode('pve1').Execute([string[]]@('qm', 'create', '126', '--name', 'iso-vm', '--memory', '512', '--ide2', 'local:iso/tools.iso,media=cdrom'), [byte[]]::new(0), [System.Threading.CancellationToken]::None)
        $path = New-TestConfig ('{ "vms": [ { "vmid": 211, "name": "a", "node": "pve2", "clone_from_vmid": 126 }, ' +
            '{ "vmid": 212, "name": "b", "node": "pve2", "clone_from_vmid": 120, "storage_pool": "tank" }, ' +
            '{ "vmid": 213, "name": "c", "node": "pve3", "template_vmid": 9000 }, { "vmid": 214, "name": "d", "node": "pve3", "clone_from_vmid": 126 } ] }')
        $out = Test-PhoenixConfig $path -Session $c.Session -Verbose 4>&1
        $f = @($out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] -and $_.Severity -eq 'Error' } | Sort-Object VmId)
        @($f.Rule) | Should -Be @('PlacementRefused', 'PlacementRefused', 'PlacementRefused')
        @($f.JsonPath) | Should -Be @('vms[0].clone_from_vmid', 'vms[1].clone_from_vmid', 'vms[3].clone_from_vmid')
        $f[0].Message | Should -BeLike "vms``[0``].clone_from_vmid (line 1): VM 211 (a) is to be on node 'pve2', cloned from VM 126 on node 'pve1': VM 126 has ide2 on local storage (local:iso/tools.iso)*"
        $f[0].Suggestion | Should -BeLike 'Put the image on shared storage*'
        $f[1].Message | Should -BeLike "*VM 212 (b) is to be on node 'pve2', cloned from VM 120 on node 'pve3': storage 'tank' is not available on node 'pve3'*"
        # 9000 (local volumes, no cdrom) is cloned and migrated: no error. Each source is read once.
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        @($verbose -match 'qm config 126') | Should -HaveCount 1
    }

    It 'node checks and a template name outside the file are answered by one read of the cluster' {
        $path = New-TestConfig '{ "vms": [ { "vmid": 201, "name": "a", "node": "pve2", "template": "nope" }, { "vmid": 202, "name": "b", "node": "pve9", "template": "ubuntu-2404-cloud-template" } ] }'
        $out = Test-PhoenixConfig $path -Session $c.Session -Verbose 4>&1
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        @($verbose.Message -match 'pvesh get /cluster/resources') | Should -HaveCount 1
        $errors = @($out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] -and $_.Severity -eq 'Error' })
        @($errors.Rule) | Sort-Object | Should -Be @('NodeUnknown', 'TemplateNameUnresolved')
        ($errors | Where-Object Rule -EQ 'TemplateNameUnresolved').Message | Should -BeLike '*template "nope" names no template*"ubuntu-2404-cloud-template" (9000)*'
    }
}

Describe 'Deploy-PhoenixVm on a simulated cluster' {
    BeforeAll {
        $script:c = New-SimCluster
        $null = $c.Sim.ForNode('pve1').Execute([string[]]@('qm', 'clone', '9000', '9100', '--name', 'shared-tpl', '--full', '1', '--storage', 'shared'), [byte[]]::new(0), [System.Threading.CancellationToken]::None)
        $null = $c.Sim.ForNode('pve1').Execute([string[]]@('qm', 'template', '9100'), [byte[]]::new(0), [System.Threading.CancellationToken]::None)
        $user = @{ username = 'phoenix'; ssh_public_keys = @((Get-TestSecret).Ed25519Key) }
        function script:Write-ClusterConfig([object[]] $Vms) {
            $path = Join-Path $TestDrive ('d-' + [guid]::NewGuid().ToString('n').Substring(0, 6) + '.json')
            @{ vm_defaults = @{ user_config = $user }; vms = $Vms } | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $path
            $path
        }
        # 301: a template on shared storage, another node (--target); 302: a template on local-lvm, another node (clone,
        # then migrate); 303: no node, the session's.
        $script:cfg = Write-ClusterConfig @(
            @{ vmid = 301; name = 'on-two'; node = 'pve2'; template_vmid = 9100 },
            @{ vmid = 302; name = 'on-three'; node = 'pve3'; template_vmid = 9000 },
            @{ vmid = 303; name = 'on-one'; template_vmid = 9000 })
    }
    AfterAll { Stop-SimulatorNode $c }

    It 'the -WhatIf plan says which way each VM crosses nodes and why, and changes nothing' {
        $null = Import-PhoenixConfig -Path $cfg | Deploy-PhoenixVm -Session $c.Session -WhatIf -InformationVariable plan -WarningAction SilentlyContinue 6>$null
        $lines = @{}
        foreach ($p in $plan | Where-Object { $_.Tags -contains 'PhoenixPlan' }) { $lines[$p.MessageData.VmId] = @($p.MessageData.Plan) }
        $lines[301][0] | Should -BeLike "placed on node 'pve2': every volume of VM 9100 is on shared storage (shared)*"
        $lines[301] | Should -Contain 'qm clone 9100 301 --name on-two --target pve2'
        $lines[301] | Should -Contain "on node 'pve2': qm start 301"
        $lines[302][0] | Should -BeLike "placed on node 'pve3': VM 9000 has local volumes on node 'pve1' (local-lvm:*), which --target refuses*"
        $lines[302] | Should -Contain 'qm clone 9000 302 --name on-three --full 1'
        $lines[302] | Should -Contain 'qm migrate 302 pve3'
        @($lines[303] -like 'placed*') | Should -BeNullOrEmpty
        $c.Sim.ForNode('pve2').Execute([string[]]@('qm', 'status', '301'), [byte[]]::new(0), [System.Threading.CancellationToken]::None).ExitCode | Should -Not -Be 0
    }

    It 'deploys each VM on its node; a re-run changes nothing; Get-PhoenixVm shows the placement' {
        $first = @(Import-PhoenixConfig -Path $cfg | Deploy-PhoenixVm -Session $c.Session -AgentTimeoutSec 30 -WarningAction SilentlyContinue)
        @($first | Where-Object Status -NE 'Succeeded' | ForEach-Object { "$($_.VmId): $($_.Errors)" }) | Should -BeNullOrEmpty
        ($first | Where-Object VmId -EQ 302).Steps[0].Changes | Should -BeLike "*on node 'pve1', then migrated offline to 'pve3'"
        $again = @(Import-PhoenixConfig -Path $cfg | Deploy-PhoenixVm -Session $c.Session -AgentTimeoutSec 30 -WarningAction SilentlyContinue)
        @($again | Where-Object Changed) | Should -BeNullOrEmpty
        $vms = Get-PhoenixVm -Session $c.Session -VmId 301, 302, 303
        @($vms | Sort-Object VmId | ForEach-Object { "$($_.VmId)@$($_.Node)" }) | Should -Be @('301@pve2', '302@pve3', '303@pve1')
    }

    It 'template_copies: VMs of other nodes clone their node''s own copy of the template, made once; -WhatIf says so; runs 2 and 3 change nothing' {
        $copies = @{ pve2 = 9202; pve3 = 9203 }
        $path = Write-ClusterConfig @(
            @{ vmid = 321; name = 'copy-a'; node = 'pve2'; template_vmid = 9000; template_copies = $copies },
            @{ vmid = 322; name = 'copy-b'; node = 'pve2'; template_vmid = 9000; template_copies = $copies },
            @{ vmid = 323; name = 'copy-c'; node = 'pve3'; template_vmid = 9000; template_copies = $copies },
            @{ vmid = 324; name = 'copy-d'; node = 'pve1'; template_vmid = 9000; template_copies = $copies })
        # An earlier run was cut off after cloning pve3's copy on pve1: this run migrates it and makes it a template.
        $null = $c.Sim.ForNode('pve1').Execute([string[]]@('qm', 'clone', '9000', '9203', '--name', 'ubuntu-2404-cloud-template-pve3', '--full', '1'), [byte[]]::new(0), [System.Threading.CancellationToken]::None)

        $null = Import-PhoenixConfig -Path $path | Deploy-PhoenixVm -Session $c.Session -WhatIf -InformationVariable plan -WarningAction SilentlyContinue 6>$null
        $lines = @{}
        foreach ($p in $plan | Where-Object { $_.Tags -contains 'PhoenixPlan' }) { $lines[$p.MessageData.VmId] = @($p.MessageData.Plan) }
        $all = @(321, 322, 323, 324 | ForEach-Object { $lines[$_] })
        @($all -eq 'qm clone 9000 9202 --name ubuntu-2404-cloud-template-pve2 --full 1') | Should -HaveCount 1
        @($all -eq 'qm migrate 9202 pve2') | Should -HaveCount 1
        @($all -eq "on node 'pve2': qm template 9202") | Should -HaveCount 1
        @($all -eq 'qm migrate 9203 pve3') | Should -HaveCount 1
        @($all -like 'qm clone 9000 9203 *') | Should -BeNullOrEmpty
        $lines[321][0] | Should -BeLike "placed on node 'pve2': cloned from VM 9202, node 'pve2''s copy of template 9000 (template_copies), made by this run: VM 9000 has local volumes*"
        $lines[322] | Should -Contain "on node 'pve2': qm clone 9202 322 --name copy-b"
        $lines[323] | Should -Contain "on node 'pve3': qm clone 9203 323 --name copy-c"
        $lines[324] | Should -Contain 'qm clone 9000 324 --name copy-d'
        $c.Sim.ForNode('pve2').Execute([string[]]@('qm', 'status', '9202'), [byte[]]::new(0), [System.Threading.CancellationToken]::None).ExitCode | Should -Not -Be 0

        $runs = foreach ($i in 1..3) { , @(Import-PhoenixConfig -Path $path | Deploy-PhoenixVm -Session $c.Session -AgentTimeoutSec 30 -WarningAction SilentlyContinue) }
        @($runs[0] | Where-Object Status -NE 'Succeeded' | ForEach-Object { "$($_.VmId): $($_.Errors)" }) | Should -BeNullOrEmpty
        $changes = @($runs[0] | ForEach-Object { $_.Steps[0].Changes })
        @($changes -like 'made VM 9202, *') | Should -HaveCount 1
        @($changes -like 'migrated VM 9203, *') | Should -HaveCount 1
        ($runs[0] | Where-Object VmId -EQ 322).Steps[0].Changes | Should -Contain 'cloned from VM 9202 (linked clone)'
        @($runs[1] | Where-Object Changed) | Should -BeNullOrEmpty
        @($runs[2] | Where-Object Changed) | Should -BeNullOrEmpty
        $vms = Get-PhoenixVm -Session $c.Session -VmId 321, 322, 323, 324, 9202, 9203
        @($vms | Sort-Object VmId | ForEach-Object { "$($_.VmId)@$($_.Node)" }) | Should -Be @('321@pve2', '322@pve2', '323@pve3', '324@pve1', '9202@pve2', '9203@pve3')
        $c.Sim.ForNode('pve3').Execute([string[]]@('qm', 'config', '9203'), [byte[]]::new(0), [System.Threading.CancellationToken]::None).StdOut | Should -Match '(?m)^template: 1$'
    }

    It 'a node down fails only its VMs, naming the node; after it is back a re-run converges' {
        $path = Write-ClusterConfig @(
            @{ vmid = 311; name = 'up-two'; node = 'pve2'; template_vmid = 9100 },
            @{ vmid = 312; name = 'down-three'; node = 'pve3'; template_vmid = 9100 })
        $specs = @(Import-PhoenixConfig -Path $path -Session $c.Session)
        Set-Content (Join-Path $c.Dir 'faults.json') '{ "nodesDown": [ "pve3" ] }'
        try {
            $r = @($specs | Deploy-PhoenixVm -Session $c.Session -AgentTimeoutSec 30 -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        } finally { Remove-Item (Join-Path $c.Dir 'faults.json') }
        ($r | Where-Object VmId -EQ 311).Status | Should -Be 'Succeeded'
        ($r | Where-Object VmId -EQ 312).Status | Should -Be 'Failed'
        @($errs | Where-Object { $_.FullyQualifiedErrorId -like 'NodeDown*' }).Exception.Message |
            Should -Be "VM 312 (down-three) is to be on node 'pve3', which is down (the cluster lists it offline); it was not deployed."
        $again = @($specs | Deploy-PhoenixVm -Session $c.Session -AgentTimeoutSec 30 -WarningAction SilentlyContinue)
        @($again.Status) | Should -Be @('Succeeded', 'Succeeded')
        @(($again | Where-Object VmId -EQ 311).Changes) | Should -BeNullOrEmpty
        (Get-PhoenixVm -Session $c.Session -VmId 312).Node | Should -Be 'pve3'
    }

    It 'a VMID another node holds, and a storage the target node lacks, are errors before any change' {
        # Valid when imported; then VM 306 appears on pve2 and 'tank' is taken off pve2 before the deploy.
        $specs = @(Import-PhoenixConfig -Path (Write-ClusterConfig @(
            @{ vmid = 305; name = 'on-tank'; node = 'pve2'; template_vmid = 9000; storage_pool = 'tank' },
            @{ vmid = 306; name = 'late'; node = 'pve3'; template_vmid = 9000 })) -Session $c.Session)
        $null = $c.Sim.ForNode('pve2').Execute([string[]]@('qm', 'create', '306', '--name', 'squatter', '--memory', '512'), [byte[]]::new(0), [System.Threading.CancellationToken]::None)
        $storage = [System.Text.Encoding]::UTF8.GetString($c.Sim.Store.ReadFile('/etc/pve/storage.cfg'))
        $c.Sim.Store.WriteFile('/etc/pve/storage.cfg', [System.Text.Encoding]::UTF8.GetBytes($storage.Replace("nodes pve1,pve2", "nodes pve1")), 416)
        $r = @($specs | Deploy-PhoenixVm -Session $c.Session -FullClone $true -AgentTimeoutSec 30 -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        @($r.Status) | Should -Be @('Failed', 'Failed')
        ($errs | Where-Object { $_.FullyQualifiedErrorId -like 'VmIdTaken*' }).Exception.Message |
            Should -Be "VM 306 (late) is to be on node 'pve3', but VMID 306 is VM 'squatter' on node 'pve2'. Nothing was changed."
        ($errs | Where-Object { $_.FullyQualifiedErrorId -like 'PlacementRefused*' }).Exception.Message |
            Should -BeLike "VM 305 (on-tank) is to be on node 'pve2', cloned from VM 9000 on node 'pve1': storage 'tank' is not available on node 'pve2'*Nothing was changed."
        $c.Sim.ForNode('pve1').Execute([string[]]@('qm', 'status', '305'), [byte[]]::new(0), [System.Threading.CancellationToken]::None).ExitCode | Should -Not -Be 0
    }
}

Describe 'VMs on whichever node owns them (simulated cluster)' {
    BeforeAll {
        $script:c = New-SimCluster
        function script:On([string] $Node, [string[]] $Argv) {
            $r = $c.Sim.ForNode($Node).Execute($Argv, [byte[]]::new(0), [System.Threading.CancellationToken]::None)
            if ($r.ExitCode -ne 0) { throw "$($Argv -join ' ') on ${Node}: $($r.StdErr)" }
        }
        On pve1 'qm', 'clone', '9000', '130', '--name', 'on-two', '--full'
        On pve1 'qm', 'migrate', '130', 'pve2'
        On pve1 'qm', 'clone', '9000', '131', '--name', 'on-one'
    }
    AfterAll { Stop-SimulatorNode $c }

    It 'Get-PhoenixVm lists every node''s VMs, each with its node' {
        $vms = Get-PhoenixVm -Session $c.Session
        @($vms.VmId) | Should -Be @(120, 130, 131, 9000)
        @($vms.Node) | Should -Be @('pve3', 'pve2', 'pve1', 'pve1')
        (Get-PhoenixVm -Session $c.Session -Name 'on-*').VmId | Should -Be @(130, 131)
    }

    It 'Start-PhoenixVm starts a VM of another node there, opening that node''s connection only then' {
        $vm = Start-PhoenixVm -Session $c.Session -VmId 130
        $vm.Node | Should -Be 'pve2'
        $vm.Status | Should -Be 'running'
        $c.Sim.ForNode('pve2').Node.IsRunning(130) | Should -BeTrue
        @($c.Session.Nodes | Where-Object IsConnected).Name | Should -Contain 'pve2'
        Stop-PhoenixVm -Session $c.Session -VmId 130 -Confirm:$false | Select-Object -ExpandProperty Node | Should -Be 'pve2'
    }

    It 'a node down: its VMs are errors naming the node, the others are listed' {
        Set-Content (Join-Path $c.Dir 'faults.json') '{ "nodesDown": [ "pve3" ] }'
        try {
            $err = $null
            $vms = Get-PhoenixVm -Session $c.Session -ErrorVariable err -ErrorAction SilentlyContinue
            @($vms.VmId) | Should -Be @(130, 131, 9000)
            @($err).Count | Should -Be 1
            $err[0].Exception.Message | Should -BeLike "VM 120 (name unknown) on node 'pve3': Node 'pve3' is offline*"
            $err = $null
            Start-PhoenixVm -Session $c.Session -VmId 120 -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NodeDown,*'
            $err[0].Exception.Message | Should -BeLike "*Node 'pve3' is offline*"
        } finally { Remove-Item (Join-Path $c.Dir 'faults.json') }
    }

    It 'no quorum: the Proxmox error surfaces with the VM' {
        Set-Content (Join-Path $c.Dir 'faults.json') '{ "nodesDown": [ "pve2", "pve3" ] }'
        try {
            $err = $null
            Start-PhoenixVm -Session $c.Session -VmId 131 -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].Exception.Message | Should -Match 'cluster not ready - no quorum\?'
            $err[0].Exception.Message | Should -Match '131'
        } finally { Remove-Item (Join-Path $c.Dir 'faults.json') }
    }

    It 'a node alone asks nothing more: Get-PhoenixVm and Start-PhoenixVm run the commands they always did' {
        $lone = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'a' }) -NoDefault
        try {
            $verbose = Start-PhoenixVm -Session $lone.Session -VmId 101 -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            ($verbose.Message -match 'pvesh') | Should -BeNullOrEmpty
            (Get-PhoenixVm -Session $lone.Session -VmId 101).Node | Should -Be 'pve'
        } finally { Stop-SimulatorNode $lone }
    }
}

Describe 'A session on the three-node fake host' {
    BeforeAll {
        $script:fake = Start-FakeHost -Nodes 3
        $script:byName = @{}
        foreach ($n in $fake.nodes) { $byName[$n.node] = $n }
        $script:endpoints = @{}
        foreach ($n in $fake.nodes) { $endpoints[$n.node] = "$($n.host):$($n.port)" }
        $script:prints = @{}
        foreach ($n in $fake.nodes) { $prints[$n.node] = $n.hostKeyFingerprint }
    }
    AfterAll { if ($fake) { Stop-FakeHost $fake } }

    It 'discovers the nodes from the one it connects to' {
        $s = Connect-PhoenixHost -HostName $fake.host -Port $fake.port -UserName $fake.user -KeyFile $fake.keyFile `
            -HostKeyFingerprint $fake.hostKeyFingerprint -NodeEndpoint $endpoints -NodeHostKeyFingerprint $prints -NoDefault
        try {
            $s.Node | Should -Be 'pve1'
            $s.IsCluster | Should -BeTrue
            @($s.Nodes.Name) | Should -Be @('pve1', 'pve2', 'pve3')
            @($s.Nodes | Where-Object IsConnected).Name | Should -Be 'pve1'
            # A VM of pve2: found there over pve2's own connection, checked against pve2's own host key.
            $c1 = New-FakeHostConnection $byName['pve1']
            try {
                (Invoke-Remote $c1 'qm', 'clone', '9000', '140', '--name', 'far', '--full').ExitCode | Should -Be 0
                (Invoke-Remote $c1 'qm', 'migrate', '140', 'pve2').ExitCode | Should -Be 0
            } finally { $c1.Dispose() }
            $vm = Get-PhoenixVm -Session $s -VmId 140
            $vm.Node | Should -Be 'pve2'
            $vm.Name | Should -Be 'far'
            @($s.Nodes | Where-Object IsConnected).Name | Should -Be @('pve1', 'pve2')
        } finally { $s | Disconnect-PhoenixHost }
    }

    It 'never takes the first node''s pinned key for another node: without its own fingerprint, known_hosts decides' {
        $known = Join-Path $TestDrive 'known_hosts'
        Set-Content $known ''
        $s = Connect-PhoenixHost -HostName $fake.host -Port $fake.port -UserName $fake.user -KeyFile $fake.keyFile `
            -HostKeyFingerprint $fake.hostKeyFingerprint -NodeEndpoint $endpoints -KnownHostsPath $known -NoDefault
        try {
            $err = $null
            Get-PhoenixVm -Session $s -VmId 140 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].Exception.Message | Should -BeLike "*Node 'pve2'*"
            $err[0].Exception.Message | Should -Match ([regex]::Escape($byName['pve2'].hostKeyFingerprint))
        } finally { $s | Disconnect-PhoenixHost }
    }

    It 'refuses a bad -NodeEndpoint before connecting, naming the node' {
        { Connect-PhoenixHost -HostName $fake.host -Port $fake.port -UserName $fake.user -KeyFile $fake.keyFile `
            -HostKeyFingerprint $fake.hostKeyFingerprint -NodeEndpoint @{ pve2 = '127.0.0.1:notaport' } -NoDefault } |
            Should -Throw -ExpectedMessage "*-NodeEndpoint, node 'pve2'*"
    }
}
