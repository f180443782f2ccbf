BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $secrets = Get-TestSecret
    $script:key1 = $secrets.Ed25519Key
    $script:key2 = $secrets.EcdsaKey
    $script:hash = $secrets.PasswordHash

    # One VM of a config, imported the way users get it.
    function New-Spec([int] $VmId, [string] $Name, [string] $Key = $key1) {
        $json = @"
{ "vms": [ {
  "vmid": $VmId, "name": "$Name",
  "network_config": { "ip": "10.0.0.$($VmId % 200)/24", "gw": "10.0.0.1", "nameservers": ["10.0.0.13"] },
  "user_config": { "username": "phoenix", "password_hash": "$hash", "ssh_public_keys": ["$Key"] }
} ] }
"@
        $path = Join-Path $TestDrive "spec-$VmId-$([guid]::NewGuid().ToString('n').Substring(0, 6)).json"
        Set-Content -LiteralPath $path -Value $json -NoNewline
        Import-PhoenixConfig $path
    }

    # A node in a folder of its own; Invoke-OnNode and Get-NodeFile read qm config and the snippet files behind Phoenix's back.
    $script:node = Start-SimulatorNode -Vm ([ordered]@{ 101 = 'web-01'; 102 = 'plan-01'; 103 = 'pipe-01' }) -NoDefault
    $script:session = $node.Session
    $script:spec101 = New-Spec 101 'web-01'
    $script:cicustom101 = 'user=local:snippets/user-data-101.yml,network=local:snippets/network-config-101.yml'
}

AfterAll {
    if ($node) { Stop-SimulatorNode $node }
}

Describe 'Set-PhoenixCloudInit on the simulator' {
    It 'first run: uploads both files (0600), sets cicustom and regenerates the drive' {
        $r = $spec101 | Set-PhoenixCloudInit -Session $session
        $r | Should -BeOfType ([Phoenix.PowerShell.CloudInitResult])
        $r.VmId | Should -Be 101
        $r.Name | Should -Be 'web-01'
        $r.Uploaded | Should -Be @('/var/lib/vz/snippets/user-data-101.yml', '/var/lib/vz/snippets/network-config-101.yml')
        $r.CicustomSet | Should -BeTrue
        $r.Regenerated | Should -BeTrue
        $r.Changed | Should -BeTrue
        $r.Cicustom | Should -Be $cicustom101
        (Invoke-OnNode $node @('qm', 'config', '101')) | Should -Match "(?m)^cicustom: $([regex]::Escape($cicustom101))$"
        $doc = $spec101 | ConvertTo-PhoenixCloudInit
        Get-NodeFile $node '/var/lib/vz/snippets/user-data-101.yml' | Should -Be $doc.UserData
        Get-NodeFile $node '/var/lib/vz/snippets/network-config-101.yml' | Should -Be $doc.NetworkConfig
        $node.Sim.Store.GetMode('/var/lib/vz/snippets/user-data-101.yml') | Should -Be ([Convert]::ToInt32('600', 8))
        $r.Hash | Should -Be $doc.Hash
        # The regenerated drive carries Phoenix's user-data.
        Get-NodeFile $node '/var/lib/phoenix-sim/cloudinit/101/user-data' | Should -Be $doc.UserData
    }

    It 'its result is a status: ConvertTo-Json and Export-Clixml of it hold no password hash, and it has no rendered document' {
        $r = $spec101 | Set-PhoenixCloudInit -Session $session -Force
        $r.PSObject.Properties.Name | Should -Not -Contain 'Document'
        $json = $r | ConvertTo-Json -Depth 10 -WarningAction SilentlyContinue
        $json | Should -Not -BeLike "*$hash*"
        $xml = Join-Path $TestDrive 'cloudinit-result.xml'
        $r | Export-Clixml -LiteralPath $xml -Depth 10
        Get-Content -Raw -LiteralPath $xml | Should -Not -BeLike "*$hash*"
        # What the status does say: where the files are and their hashes.
        $r.UserDataFile | Should -Be '/var/lib/vz/snippets/user-data-101.yml'
        $r.UserDataHash | Should -Match '^[0-9a-f]{64}$'
        # ConvertTo-PhoenixCloudInit is the cmdlet that shows the document itself.
        ($spec101 | ConvertTo-PhoenixCloudInit).UserData | Should -BeLike "*$hash*"
    }

    It 'second run: changes nothing and runs no qm set' {
        $r = $spec101 | Set-PhoenixCloudInit -Session $session -Verbose 4>&1
        $result = $r | Where-Object { $_ -is [Phoenix.PowerShell.CloudInitResult] }
        $verbose = ($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $result.Changed | Should -BeFalse
        $result.Uploaded | Should -BeNullOrEmpty
        $result.CicustomSet | Should -BeFalse
        $result.Regenerated | Should -BeFalse
        $verbose | Should -Contain '[pve] qm config 101'
        ($verbose -like '*upload*') | Should -BeNullOrEmpty
        ($verbose -like '*qm set*') | Should -BeNullOrEmpty
        ($verbose -like '*qm cloudinit update*') | Should -BeNullOrEmpty
    }

    It 'a changed SSH key uploads the user-data again, regenerates, and warns about the new instance-id' {
        $changed = New-Spec 101 'web-01' -Key $key2
        $r = $changed | Set-PhoenixCloudInit -Session $session -WarningVariable warn -WarningAction SilentlyContinue
        $r.Uploaded | Should -Be @('/var/lib/vz/snippets/user-data-101.yml')
        $r.CicustomSet | Should -BeFalse
        $r.Regenerated | Should -BeTrue
        $r.InstanceIdChanged | Should -BeTrue
        Get-NodeFile $node '/var/lib/vz/snippets/user-data-101.yml' | Should -BeLike "*$key2*"
        Get-NodeFile $node '/var/lib/phoenix-sim/cloudinit/101/user-data' | Should -BeLike "*$key2*"
        $warn | Should -HaveCount 1
        $warn[0].Message | Should `
            -Be ("VM 101 (web-01): the cloud-init content changed, so its instance-id is now $($r.InstanceId): cloud-init runs its first-boot " +
                "steps (users, SSH keys, packages, runcmd) again at the VM's next start.")
    }

    It '-WhatIf shows the files, their hashes and the exact qm set, and changes nothing' {
        $spec = New-Spec 102 'plan-01'
        $doc = $spec | ConvertTo-PhoenixCloudInit
        $w = Get-HostOutput { $spec | Set-PhoenixCloudInit -Session $session -WhatIf }
        $w.Output | Should -BeNullOrEmpty
        $w.Text | Should -BeLike '*What if: Performing the operation "Set cloud-init (storage local)" on target "VM 102 (plan-01)".*'
        $w.Text | Should -BeLike "*user-data-102.yml sha256 $($doc.UserDataHash) -> /var/lib/vz/snippets/user-data-102.yml*"
        $w.Text | Should -BeLike "*network-config-102.yml sha256 $($doc.NetworkConfigHash) -> /var/lib/vz/snippets/network-config-102.yml*"
        $w.Text | Should -BeLike "*write * bytes to /var/lib/vz/snippets/user-data-102.yml (mode 0600)*"
        $w.Text | Should -BeLike "*qm set 102 --cicustom 'user=local:snippets/user-data-102.yml,network=local:snippets/network-config-102.yml'*"
        $w.Text | Should -BeLike '*qm cloudinit update 102*'
        $w.Text | Should -Not -BeLike '*Ph0enixSaltX*'
        Get-NodeFile $node '/var/lib/vz/snippets/user-data-102.yml' | Should -BeNullOrEmpty
        Get-NodeFile $node '/var/lib/vz/snippets/network-config-102.yml' | Should -BeNullOrEmpty
        (Invoke-OnNode $node @('qm', 'config', '102')) | Should -Not -Match 'cicustom'
    }

    It '-WhatIf on a VM that is already up to date says nothing would change' {
        $w = Get-HostOutput { New-Spec 101 'web-01' -Key $key2 | Set-PhoenixCloudInit -Session $session -WhatIf }
        $w.Text | Should -BeLike '*nothing to change: the files on the host and cicustom are already as rendered*'
        $w.Text | Should -Not -BeLike '*qm set*'
    }

    It 'never writes the password hash to the Verbose stream' {
        $all = New-Spec 103 'pipe-01' | Set-PhoenixCloudInit -Session $session -Verbose 4>&1 | Out-String -Width 500
        $verbose = (New-Spec 103 'pipe-01' | Set-PhoenixCloudInit -Session $session -Force -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -BeLike '*upload /var/lib/vz/snippets/user-data-103.yml*'
        $verbose | Should -BeLike "*qm set 103 --cicustom*"
        foreach ($text in $all, $verbose) {
            $text | Should -Not -BeLike '*Ph0enixSaltX*'
            $text | Should -Not -BeLike "*$([WildcardPattern]::Escape($hash))*"
        }
    }

    It 'takes a PhoenixVm-shaped object (VmId, Spec, Session) and its result pipes into Start-PhoenixVm' {
        $spec = New-Spec 103 'pipe-01'
        $vm = [pscustomobject]@{ VmId = 103; Spec = $spec; Session = $session }
        $started = $vm | Set-PhoenixCloudInit -Force | Start-PhoenixVm
        $started.VmId | Should -Be 103
        $started.Status | Should -Be 'running'
        $started.Spec.Name | Should -Be 'pipe-01'
    }

    It 'refuses a -VmId that is not the spec''s' {
        $spec101 | Set-PhoenixCloudInit -Session $session -VmId 104 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmIdMismatch,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
        $err[0].TargetObject | Should -Be 104
    }

    It 'names the storages that can hold snippets when given a block storage' {
        $spec101 | Set-PhoenixCloudInit -Session $session -Storage local-lvm -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'SnippetsNotEnabled,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
        $err[0].Exception.Message | Should `
            -Be ("VM 101 (web-01): storage 'local-lvm' is of type lvmthin, which cannot hold snippets (only file-based storages such as dir or " +
                "nfs can), so Phoenix cannot put the cloud-init files there. Storages that hold snippets: local.")
    }

    It 'says how to enable snippets on a directory storage without them' {
        $cfg = Get-NodeFile $node '/etc/pve/storage.cfg'
        $node.Sim.Store.WriteFile('/etc/pve/storage.cfg', [System.Text.Encoding]::UTF8.GetBytes($cfg.Replace('content backup,iso,snippets,vztmpl',
            'content backup,iso,vztmpl')), 416)
        try {
            $spec101 | Set-PhoenixCloudInit -Session $session -ErrorVariable err -ErrorAction SilentlyContinue
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -Be 'SnippetsNotEnabled,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
            $err[0].TargetObject | Should -Be 'local'
            $err[0].Exception.Message | Should `
                -BeLike ("*storage 'local' does not hold snippets (its content is backup,iso,vztmpl)*Enable snippets on it with: pvesm set local " +
                    "--content backup,iso,vztmpl,snippets*")
            $err[0].ErrorDetails.RecommendedAction | Should -Be 'pvesm set local --content backup,iso,vztmpl,snippets'
        }
        finally {
            $node.Sim.Store.WriteFile('/etc/pve/storage.cfg', [System.Text.Encoding]::UTF8.GetBytes($cfg), 416)
        }
    }

    It 'reports a VM that does not exist, also under -WhatIf' {
        $spec = New-Spec 150 'ghost-01'
        $spec | Set-PhoenixCloudInit -Session $session -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotFound,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
        $err[0].TargetObject | Should -Be 150
        $spec | Set-PhoenixCloudInit -Session $session -WhatIf -ErrorVariable err2 -ErrorAction SilentlyContinue
        $err2[0].FullyQualifiedErrorId | Should -Be 'VmNotFound,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
        Get-NodeFile $node '/var/lib/vz/snippets/user-data-150.yml' | Should -BeNullOrEmpty
    }
}

Describe 'Set-PhoenixCloudInit -VmId with the pieces (no config file)' {
    BeforeAll {
        $null = Invoke-OnNode $node @('qm', 'clone', '9000', '110', '--name', 'pieces-01')
        $null = Invoke-OnNode $node @('qm', 'clone', '9000', '111', '--name', 'pieces-02')
        $script:piecesHash = ConvertTo-SecureString $hash -AsPlainText -Force

        # What the same VM looks like written in a config file: the pieces must render exactly like it.
        function New-FileSpec([int] $VmId, [string] $Name, [string] $Ip, [string] $Gw, [string[]] $Keys) {
            $json = [ordered]@{ vms = @([ordered]@{
                vmid = $VmId; name = $Name
                network_config = [ordered]@{ ip = $Ip; gw = $Gw; nameservers = @('1.1.1.1', '8.8.8.8'); searchdomain = 'lab.example' }
                user_config = [ordered]@{ username = 'phoenix'; password_hash = $hash; ssh_public_keys = $Keys }
            }) } | ConvertTo-Json -Depth 5
            $path = Join-Path $TestDrive "file-$VmId-$([guid]::NewGuid().ToString('n').Substring(0, 6)).json"
            Set-Content -LiteralPath $path -Value $json -NoNewline
            Import-PhoenixConfig $path
        }

        # Every [pve] line is a command or file transfer on the host; a refused piece must cause none.
        function Get-HostTraffic($Records) {
            @($Records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '`[pve`]*' })
        }
    }

    It 'has the Spec set as default and a Pieces set with -VmId, -HostName, -UserName and -SshPublicKey mandatory' {
        $cmd = Get-Command Set-PhoenixCloudInit
        $cmd.DefaultParameterSet | Should -Be 'Spec'
        @($cmd.ParameterSets.Name) | Should -Be @('Spec', 'Pieces')
        $pieces = $cmd.ParameterSets | Where-Object Name -EQ 'Pieces'
        @($pieces.Parameters | Where-Object IsMandatory | ForEach-Object Name) | Should -Be @('VmId', 'HostName', 'UserName', 'SshPublicKey')
        $cmd.Parameters['PasswordHash'].ParameterType | Should -Be ([securestring])
        $cmd.Parameters['SshPublicKey'].ParameterType | Should -Be ([string[]])
    }

    It 'uploads both snippets, sets cicustom, and renders the given hostname, user and keys as the config file would' {
        $r = Set-PhoenixCloudInit -Session $session -VmId 110 -HostName pieces-01 -UserName phoenix -SshPublicKey $key1, $key2 `
            -PasswordHash $piecesHash -IpAddress 10.0.0.110/24 -Gateway 10.0.0.1 -Nameserver '1.1.1.1,8.8.8.8' -SearchDomain lab.example
        $r | Should -BeOfType ([Phoenix.PowerShell.CloudInitResult])
        $r.VmId | Should -Be 110
        $r.Name | Should -Be 'pieces-01'
        $r.Uploaded | Should -Be @('/var/lib/vz/snippets/user-data-110.yml', '/var/lib/vz/snippets/network-config-110.yml')
        $r.CicustomSet | Should -BeTrue
        $r.Regenerated | Should -BeTrue
        (Invoke-OnNode $node @('qm', 'config', '110')) | Should `
            -Match '(?m)^cicustom: user=local:snippets/user-data-110\.yml,network=local:snippets/network-config-110\.yml$'
        $node.Sim.Store.GetMode('/var/lib/vz/snippets/user-data-110.yml') | Should -Be ([Convert]::ToInt32('600', 8))

        $userData = Get-NodeFile $node '/var/lib/vz/snippets/user-data-110.yml'
        $networkConfig = Get-NodeFile $node '/var/lib/vz/snippets/network-config-110.yml'
        $doc = New-FileSpec 110 'pieces-01' '10.0.0.110/24' '10.0.0.1' @($key1, $key2) | ConvertTo-PhoenixCloudInit
        $userData | Should -Be $doc.UserData
        $networkConfig | Should -Be $doc.NetworkConfig
        $r.Hash | Should -Be $doc.Hash

        $parsed = (Get-PhoenixType YamlDotNet.Serialization.Deserializer -Assembly YamlDotNet)::new().Deserialize($userData)
        $parsed['hostname'] | Should -Be 'pieces-01'
        $parsed['fqdn'] | Should -Be 'pieces-01.lab.example'
        $parsed['users'][0]['name'] | Should -Be 'phoenix'
        @($parsed['users'][0]['ssh_authorized_keys']) | Should -Be @($key1, $key2)
        $parsed['users'][0]['hashed_passwd'] | Should -Be $hash
        $net = (Get-PhoenixType YamlDotNet.Serialization.Deserializer -Assembly YamlDotNet)::new().Deserialize($networkConfig)
        ($net | ConvertTo-Json -Depth 10 -Compress) | Should -BeLike '*"10.0.0.110/24"*'
        ($net | ConvertTo-Json -Depth 10 -Compress) | Should -BeLike '*"1.1.1.1","8.8.8.8"*'
    }

    It 'refuses a plain password before touching the host, naming -PasswordHash and never showing the value' {
        $plain = ConvertTo-SecureString 'Correct-Horse-Battery-9' -AsPlainText -Force
        $out = Set-PhoenixCloudInit -Session $session -VmId 111 -HostName pieces-02 -UserName phoenix -SshPublicKey $key1 `
            -PasswordHash $plain -Verbose -ErrorVariable err -ErrorAction SilentlyContinue 4>&1
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'PasswordHashFormat,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].TargetObject | Should -Be 111
        $err[0].Exception.Message | Should `
            -Be ("VM 111, -PasswordHash: password_hash is not a crypt hash (it looks like a plain-text password); plain passwords are refused. " +
            ("Fix: Put a crypt hash here, never the password: make one with 'mkpasswd -m sha-512' (package whois) or 'openssl passwd -6', and " +
                "paste its output (`$6`$...)."))
        ($err | Out-String -Width 1000) + ($out | Out-String -Width 1000) | Should -Not -BeLike '*Correct-Horse*'
        $err[0].ErrorDetails.RecommendedAction | Should -BeLike "Put a crypt hash here*"
        Get-HostTraffic $out | Should -BeNullOrEmpty
        @($out | Where-Object { $_ -is [Phoenix.PowerShell.CloudInitResult] }) | Should -BeNullOrEmpty
        Get-NodeFile $node '/var/lib/vz/snippets/user-data-111.yml' | Should -BeNullOrEmpty
        (Invoke-OnNode $node @('qm', 'config', '111')) | Should -Not -Match 'cicustom'
    }

    It 'refuses a gateway outside the subnet, naming -Gateway, and reports every bad piece at once' {
        $out = Set-PhoenixCloudInit -Session $session -VmId 111 -HostName pieces-02 -UserName phoenix -SshPublicKey $key1, 'ssh-ed25519 AAAA' `
            -IpAddress 10.0.0.111/24 -Gateway 10.9.9.1 -Verbose -ErrorVariable err -ErrorAction SilentlyContinue 4>&1
        $err | Should -HaveCount 2
        $err[0].FullyQualifiedErrorId | Should -Be 'GatewayOutsideSubnet,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
        $err[0].Exception.Message | Should `
            -Be ('VM 111, -Gateway: gw 10.9.9.1 is outside the subnet 10.0.0.0/24 of ip 10.0.0.111/24; the VM could not reach it. Fix: Use a ' +
                'gateway inside 10.0.0.0/24, or fix the prefix length of ip.')
        $err[1].FullyQualifiedErrorId | Should -Be 'SshKeyFormat,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
        $err[1].Exception.Message | Should -BeLike 'VM 111, -SshPublicKey: SSH key 2 *'
        Get-HostTraffic $out | Should -BeNullOrEmpty
        Get-NodeFile $node '/var/lib/vz/snippets/network-config-111.yml' | Should -BeNullOrEmpty
    }

    It 'refuses -Dhcp together with -IpAddress, and a -Gateway with -Dhcp names -Gateway' {
        Set-PhoenixCloudInit -Session $session -VmId 111 -HostName pieces-02 -UserName phoenix -SshPublicKey $key1 `
            -Dhcp -IpAddress 10.0.0.111/24 -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'DhcpWithIpAddress,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
        $err[0].Exception.Message | Should `
            -Be 'VM 111: -Dhcp and -IpAddress 10.0.0.111/24 contradict each other: the VM takes its address either by DHCP or as given.'
        Set-PhoenixCloudInit -Session $session -VmId 111 -HostName pieces-02 -UserName phoenix -SshPublicKey $key1 `
            -Dhcp -Gateway 10.0.0.1 -ErrorVariable err2 -ErrorAction SilentlyContinue
        $err2[0].FullyQualifiedErrorId | Should -Be 'GatewayWithDhcp,Phoenix.PowerShell.Commands.SetPhoenixCloudInitCommand'
        $err2[0].Exception.Message | Should -BeLike 'VM 111, -Gateway: gw "10.0.0.1" is set but ip is dhcp;*'
        (Invoke-OnNode $node @('qm', 'config', '111')) | Should -Not -Match 'cicustom'
    }

    It '-WhatIf with pieces shows the files and the exact qm set, and changes nothing' {
        $doc = New-FileSpec 111 'pieces-02' '10.0.0.111/24' '10.0.0.1' @($key1) | ConvertTo-PhoenixCloudInit
        $w = Get-HostOutput {
            Set-PhoenixCloudInit -Session $session -VmId 111 -HostName pieces-02 -UserName phoenix -SshPublicKey $key1 -PasswordHash $piecesHash `
                -IpAddress 10.0.0.111/24 -Gateway 10.0.0.1 -Nameserver 1.1.1.1, 8.8.8.8 -SearchDomain lab.example -WhatIf
        }
        $w.Output | Should -BeNullOrEmpty
        $w.Text | Should -BeLike "*user-data-111.yml sha256 $($doc.UserDataHash) -> /var/lib/vz/snippets/user-data-111.yml*"
        $w.Text | Should -BeLike "*network-config-111.yml sha256 $($doc.NetworkConfigHash) -> /var/lib/vz/snippets/network-config-111.yml*"
        $w.Text | Should -BeLike "*qm set 111 --cicustom 'user=local:snippets/user-data-111.yml,network=local:snippets/network-config-111.yml'*"
        $w.Text | Should -Not -BeLike '*Ph0enixSaltX*'
        Get-NodeFile $node '/var/lib/vz/snippets/user-data-111.yml' | Should -BeNullOrEmpty
        Get-NodeFile $node '/var/lib/vz/snippets/network-config-111.yml' | Should -BeNullOrEmpty
        (Invoke-OnNode $node @('qm', 'config', '111')) | Should -Not -Match 'cicustom'
    }
}
