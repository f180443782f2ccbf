BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:realWorld = Join-Path $env:PHOENIX_REPO_ROOT 'tests/fixtures/realworld-shape/phoenix_vm_configs.json'
    $secrets = Get-TestSecret
    $script:key1 = $secrets.Ed25519Key
    $script:key2 = $secrets.EcdsaKey
    $script:hash = $secrets.PasswordHash
    # A comment a sed-based renderer would turn into other YAML: quotes, a colon, a hash, an anchor, an alias, a tag.
    $script:hostileComment = 'it''s "me": #1 &a *b !!str'
    $script:hostileKey = $key1.Replace('admin@phoenix', $hostileComment)

    if (-not (Get-Command cloud-init -ErrorAction Ignore)) {
        throw 'cloud-init is not installed; build.ps1 -Task Test installs it (apt-get install -y cloud-init).'
    }

    $json = @"
{
  "vms": [
    {
      "vmid": 101, "name": "web-01",
      "network_config": { "ip": "10.0.0.11/24", "gw": "10.0.0.1", "nameservers": ["10.0.0.13", "1.1.1.1"], "searchdomain": "lab.example" },
      "user_config": { "username": "phoenix", "password_hash": "$hash", "ssh_public_keys": ["$key1", "$key2"] }
    },
    {
      "vmid": 102, "name": "dhcp-01",
      "network_config": { "ip": "dhcp" },
      "user_config": { "username": "phoenix", "ssh_public_key": $(ConvertTo-Json $hostileKey) }
    }
  ]
}
"@
    $cfg = Join-Path $TestDrive 'cases.json'
    Set-Content -LiteralPath $cfg -Value $json -NoNewline
    $script:specs = Import-PhoenixConfig $cfg
    $script:realSpecs = Import-PhoenixConfig $realWorld -WarningAction SilentlyContinue

    # Writes both files of a document, runs cloud-init's validators on them, and returns exit codes and outputs.
    function Test-WithCloudInit($Document) {
        $dir = Join-Path $TestDrive ("ci-" + $Document.VmId)
        $null = New-Item -ItemType Directory -Force $dir
        $ud = Join-Path $dir $Document.UserDataFileName
        $nc = Join-Path $dir $Document.NetworkConfigFileName
        [System.IO.File]::WriteAllText($ud, $Document.UserData)
        [System.IO.File]::WriteAllText($nc, $Document.NetworkConfig)
        $schemaOut = & cloud-init schema -c $ud 2>&1 | Out-String
        $schemaExit = $LASTEXITCODE
        $netOut = & cloud-init devel net-convert -p $nc -k yaml -D debian -O networkd -d (Join-Path $dir 'out') 2>&1 | Out-String
        $netExit = $LASTEXITCODE
        $network = Get-ChildItem (Join-Path $dir 'out/etc/systemd/network') -Filter '*.network' -ErrorAction Ignore | Get-Content -Raw
        [pscustomobject]@{ SchemaExit = $schemaExit; SchemaOut = $schemaOut; NetExit = $netExit; NetOut = $netOut; Network = $network; UserDataPath = $ud }
    }
}

Describe 'ConvertTo-PhoenixCloudInit' {
    It 'writes its verbose line with -Verbose or $VerbosePreference, and none otherwise' {
        $lines = @($specs[0] | ConvertTo-PhoenixCloudInit -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $lines.Count | Should -Be 1
        $lines[0].Message | Should -Match '^Rendered cloud-init for VM 101: user-data-101\.yml, network-config-101\.yml \(sha256 [0-9a-f]{12}\) from default user-data, default network-config\.$'
        @($specs[0] | ConvertTo-PhoenixCloudInit -Verbose:$false 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -Be 0
        & {
            $VerbosePreference = 'Continue'
            @($specs[0] | ConvertTo-PhoenixCloudInit 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -Be 1
            $VerbosePreference = 'SilentlyContinue'
            @($specs[0] | ConvertTo-PhoenixCloudInit 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -Be 0
        }
    }

    It 'returns a document with the files, their names and hashes' {
        $doc = $specs[0] | ConvertTo-PhoenixCloudInit
        $doc | Should -BeOfType (Get-PhoenixType Phoenix.Engine.CloudInit.CloudInitDocument)
        $doc.VmId | Should -Be 101
        $doc.UserDataFileName | Should -Be 'user-data-101.yml'
        $doc.NetworkConfigFileName | Should -Be 'network-config-101.yml'
        ($doc.UserData -split "`n")[0] | Should -Be '#cloud-config'
        $doc.Hash | Should -Match '^[0-9a-f]{64}$'
        $sha = [System.Security.Cryptography.SHA256]::Create()
        $doc.UserDataHash | Should -Be (($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($doc.UserData)) |
            ForEach-Object { $_.ToString('x2') }) -join '')
    }

    It 'renders the same bytes twice (a stable hash)' {
        ($specs[0] | ConvertTo-PhoenixCloudInit).Hash | Should -Be ($specs[0] | ConvertTo-PhoenixCloudInit).Hash
    }

    It 'takes the Spec property of a piped object' {
        ([pscustomobject]@{ Spec = $specs[1]; VmId = 102 } | ConvertTo-PhoenixCloudInit).UserDataFileName | Should -Be 'user-data-102.yml'
    }

    It 'shows names and hashes, never the user-data with its password hash' {
        $doc = $specs[0] | ConvertTo-PhoenixCloudInit
        $doc.UserData | Should -BeLike "*$hash*"
        foreach ($text in ($doc | Out-String -Width 300), ($doc | Format-List | Out-String -Width 300), $doc.ToString()) {
            $text | Should -Not -BeLike '*Ph0enixSaltX*'
            $text | Should -BeLike '*user-data-101.yml*'
        }
    }

    It 'uses a template folder given with -TemplatePath' {
        $dir = Join-Path $TestDrive 'templates'
        $null = New-Item -ItemType Directory -Force $dir
        Set-Content (Join-Path $dir 'user-data.template.yml') ("#cloud-config`nhostname: __HOSTNAME__`nfqdn: __FQDN__`n# __USERNAME__ and " +
            "__VMID__ are not used here`n") -NoNewline
        $doc = $specs[0] | ConvertTo-PhoenixCloudInit -TemplatePath $dir
        $doc.UserData | Should -BeLike "#cloud-config`nhostname: `"web-01`"`nfqdn: `"web-01.lab.example`"*"
        $doc.NetworkConfig | Should -Be ($specs[0] | ConvertTo-PhoenixCloudInit).NetworkConfig
    }

    It 'refuses a template with a placeholder Phoenix does not know' {
        $dir = Join-Path $TestDrive 'bad-templates'
        $null = New-Item -ItemType Directory -Force $dir
        Set-Content (Join-Path $dir 'user-data.template.yml') ("#cloud-config`nhostname: __HOSTNAME__`nfqdn: __FQDN__`nuser: __USERNAME__`nx: " +
            "__VMID__`ntimezone: __TIME_ZONE__`n") -NoNewline
        { $specs[0] | ConvertTo-PhoenixCloudInit -TemplatePath $dir -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownPlaceholder,Phoenix.PowerShell.Commands.ConvertToPhoenixCloudInitCommand'
    }

    It 'renders a pipeline of VMs in input order, with the error in its place for the VM that cannot be rendered' {
        $vms = foreach ($i in 1..40) {
            [ordered]@{ vmid = 200 + $i; name = "order-$i"; user_config = @{ username = 'phoenix' }
                network_config = @{ ip = $(if ($i -eq 17) { 'dhcp' } else { "10.1.0.$i/24" }) } }
        }
        $cfg = Join-Path $TestDrive 'order.json'
        @{ vms = @($vms) } | ConvertTo-Json -Depth 5 | Set-Content $cfg
        $dir = Join-Path $TestDrive 'order-templates'
        $null = New-Item -ItemType Directory -Force $dir
        # The address inside a longer string: a DHCP VM has none, so it cannot be left out and that VM fails.
        Set-Content (Join-Path $dir 'user-data.template.yml') "#cloud-config`nhostname: __HOSTNAME__`nbootcmd: [`"echo __IPV4_ADDRESS__`"]`n" -NoNewline
        $out = @(Import-PhoenixConfig $cfg -WarningAction SilentlyContinue | ConvertTo-PhoenixCloudInit -TemplatePath $dir -ErrorAction Continue 2>&1)
        $out.Count | Should -Be 40
        $out[16] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $out[16].FullyQualifiedErrorId | Should -BeLike 'MissingValue,*'
        $out[16].Exception.Message | Should -BeLike '*217*'
        $docs = @($out | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
        $docs.VmId | Should -Be @((1..40 | Where-Object { $_ -ne 17 }) | ForEach-Object { 200 + $_ })
        $docs[0].UserData | Should -Be "#cloud-config`nhostname: `"order-1`"`nbootcmd: [`"echo 10.1.0.1/24`"]`n"
    }

    It 'stops on a template folder that does not exist' {
        { $specs[0] | ConvertTo-PhoenixCloudInit -TemplatePath (Join-Path $TestDrive 'nowhere') -ErrorAction Stop } |
            Should -Throw -ErrorId 'TemplatePathNotFound,Phoenix.PowerShell.Commands.ConvertToPhoenixCloudInitCommand'
    }
}

Describe 'Rendered cloud-init passes cloud-init''s own validators' {
    It 'static address, two nameservers, two keys, a password hash' {
        $r = Test-WithCloudInit ($specs[0] | ConvertTo-PhoenixCloudInit)
        $r.SchemaExit | Should -Be 0 -Because $r.SchemaOut
        $r.SchemaOut | Should -BeLike "*Valid cloud-config: $($r.UserDataPath)*"
        $r.NetExit | Should -Be 0 -Because $r.NetOut
        $r.Network | Should -Match '(?m)^Address=10\.0\.0\.11/24$'
        $r.Network | Should -Match '(?m)^Gateway=10\.0\.0\.1$'
        $r.Network | Should -Match '(?m)^DNS=10\.0\.0\.13 1\.1\.1\.1$'
        $r.Network | Should -Match '(?m)^Domains=lab\.example$'
        $r.Network | Should -Match '(?m)^DHCP=no$'
    }

    It 'DHCP renders as DHCP, and a hostile key comment comes back unchanged' {
        $doc = $specs[1] | ConvertTo-PhoenixCloudInit
        $r = Test-WithCloudInit $doc
        $r.SchemaExit | Should -Be 0 -Because $r.SchemaOut
        $r.NetExit | Should -Be 0 -Because $r.NetOut
        $r.Network | Should -Match '(?m)^DHCP=ipv4$'
        $r.Network | Should -Not -Match 'Address='
        $doc.NetworkConfig | Should -Not -BeLike '*addresses: *dhcp*'
        $readKeys = 'import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["users"][0]["ssh_authorized_keys"]))'
        $keys = & /usr/bin/python3 -c $readKeys $r.UserDataPath | ConvertFrom-Json
        @($keys) | Should -Be @($hostileKey)
    }

    It 'the real-world VM <_> validates' -ForEach @(9000, 1001, 1002) {
        $spec = $realSpecs | Where-Object VmId -EQ $_
        $r = Test-WithCloudInit ($spec | ConvertTo-PhoenixCloudInit)
        $r.SchemaExit | Should -Be 0 -Because $r.SchemaOut
        $r.NetExit | Should -Be 0 -Because $r.NetOut
        $r.Network | Should -Match '(?m)^DNS=10\.20\.0\.53$'
        if ($spec.NetworkConfig.Dhcp) {
            $r.Network | Should -Match '(?m)^DHCP=ipv4$'
        } else {
            $r.Network | Should -Match "(?m)^Address=$([regex]::Escape($spec.NetworkConfig.Ip))$"
            $r.Network | Should -Match '(?m)^Gateway=10\.20\.0\.1$'
        }
    }
}
