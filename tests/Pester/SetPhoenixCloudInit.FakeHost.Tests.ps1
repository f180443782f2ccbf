# Set-PhoenixCloudInit on the fake host over SSH: snippets go over the SSH command channel to the path `pvesm path`
# prints, cicustom is set with qm set, and the drive is regenerated only when content changed.
BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $env:PHOENIX_REPO_ROOT 'tests/FakeHost/FakeHost.psm1') -Force
    $script:run = Start-FakeHostSession
    $script:fake = $run.Fake; $script:session = $run.Session; $script:ssh = $run.Ssh
    $null = Invoke-Remote $ssh 'qm', 'clone', '9000', '130', '--name', 'ci-130'
    $script:keys = foreach ($n in 1, 2) {
        $f = Join-Path $fake.root "key$n"
        $null = & ssh-keygen -q -t ed25519 -N '' -C "admin$n@example.lab" -f $f
        Get-Content "$f.pub"
    }
    $script:snippets = Join-Path $fake.stateDir 'node/var/lib/vz/snippets'
}

AfterAll {
    Stop-FakeHostSession $run
}

Describe 'Set-PhoenixCloudInit over SSH' {
    It 'uploads both snippets with mode 0600 and sets cicustom' {
        $r = Set-PhoenixCloudInit -VmId 130 -HostName ci-130 -UserName ops -SshPublicKey $keys[0] -IpAddress 10.0.0.130/24 -Gateway 10.0.0.1
        $r.Uploaded | Should -Be @("$snippets/user-data-130.yml", "$snippets/network-config-130.yml")
        $r.Regenerated | Should -BeTrue
        (Invoke-Remote $ssh 'qm', 'config', '130').StdOut | Should `
            -Match '(?m)^cicustom: user=local:snippets/user-data-130.yml,network=local:snippets/network-config-130.yml$'
        (& stat -c '%a' "$snippets/user-data-130.yml") | Should -Be '600'
        Get-Content -Raw "$snippets/user-data-130.yml" | Should -Match ([regex]::Escape($keys[0].Split(' ')[1]))
        Get-Content -Raw "$snippets/network-config-130.yml" | Should -Match '10\.0\.0\.130/24'
    }

    It 'changes nothing the second time' {
        $before = @(Get-Audit $fake).Count
        $r = Set-PhoenixCloudInit -VmId 130 -HostName ci-130 -UserName ops -SshPublicKey $keys[0] -IpAddress 10.0.0.130/24 -Gateway 10.0.0.1
        $r.Changed | Should -BeFalse
        $r.Uploaded | Should -HaveCount 0
        $new = @(Get-Audit $fake | Select-Object -Skip $before)
        @($new | Where-Object { $_ -match '^qm (set|cloudinit update)' }) | Should -HaveCount 0
    }

    It 'uploads again and regenerates when the SSH key changes' {
        $before = @(Get-Audit $fake).Count
        $r = Set-PhoenixCloudInit -VmId 130 -HostName ci-130 -UserName ops -SshPublicKey $keys[1] -IpAddress 10.0.0.130/24 -Gateway 10.0.0.1
        $r.Uploaded | Should -Be @("$snippets/user-data-130.yml")
        $r.Regenerated | Should -BeTrue
        $r.InstanceIdChanged | Should -BeTrue
        @(Get-Audit $fake | Select-Object -Skip $before) | Should -Contain 'qm cloudinit update 130'
        Get-Content -Raw "$snippets/user-data-130.yml" | Should -Match ([regex]::Escape($keys[1].Split(' ')[1]))
    }
}
