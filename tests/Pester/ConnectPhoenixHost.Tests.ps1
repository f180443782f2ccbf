BeforeAll {
    Import-Module (Join-Path $env:PHOENIX_MODULE_DIR 'Phoenix.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sshd = Start-TestSshd
    $script:knownHosts = Join-Path $sshd.dir 'known_hosts_test'
}

AfterAll {
    Get-PhoenixHost | Disconnect-PhoenixHost
    if ($sshd) { Stop-TestServer $sshd }
}

Describe 'Connect-PhoenixHost over real SSH' {
    It 'connects by key with a pinned fingerprint and returns the session' {
        $s = Connect-PhoenixHost -HostName $sshd.host -Port $sshd.port -UserName $sshd.user -KeyFile $sshd.keyFile -HostKeyFingerprint $sshd.hostKeyFingerprint
        $s | Should -BeOfType ([Phoenix.PowerShell.PhoenixSession])
        $s.HostName | Should -Be '127.0.0.1'
        $s.Port | Should -Be $sshd.port
        $s.UserName | Should -Be $sshd.user
        $s.HostKeyFingerprint | Should -Be $sshd.hostKeyFingerprint
        $s.IsConnected | Should -BeTrue
        $s.Node | Should -Be ((hostname) -split '\.')[0]
        (Get-PhoenixHost -Default).Id | Should -Be $s.Id
        (Get-PhoenixHost | Where-Object Id -EQ $s.Id) | Should -Not -BeNullOrEmpty
    }

    It 'runs a command through the session''s transport and reads the exit code and both streams' {
        $o = (Get-PhoenixType Phoenix.Engine.Transport.SshConnectionOptions)::new()
        $o.HostName = $sshd.host; $o.Port = $sshd.port; $o.UserName = $sshd.user; $o.KeyFile = $sshd.keyFile; $o.HostKeyFingerprint = $sshd.hostKeyFingerprint
        $c = (Get-PhoenixType Phoenix.Engine.Transport.SshHostConnection)::ConnectAsync($o).GetAwaiter().GetResult()
        try {
            $cmd = (Get-PhoenixType Phoenix.Engine.Transport.RemoteCommand)::new('sh', [string[]]@('-c', 'echo "out $1"; echo "err $1" >&2; exit 3', 'sh', "it's `$(not run)"))
            $r = $c.RunAsync($cmd).GetAwaiter().GetResult()
            $r.ExitCode | Should -Be 3
            $r.StdOut | Should -BeExactly "out it's `$(not run)`n"
            $r.StdErr | Should -BeExactly "err it's `$(not run)`n"

            # Upload: temporary name, mode, then rename over the target.
            $target = Join-Path $sshd.dir 'uploaded.yml'
            $c.UploadAsync($target, [System.Text.Encoding]::UTF8.GetBytes("a: 1`n"), [Convert]::ToInt32('600', 8)).GetAwaiter().GetResult()
            Get-Content -Raw $target | Should -BeExactly "a: 1`n"
            (& stat -c '%a' $target) | Should -Be '600'
            @(Get-ChildItem $sshd.dir -Filter '.uploaded.yml*') | Should -HaveCount 0
        } finally { $c.Dispose() }
    }

    It 'refuses a wrong pinned fingerprint and names the real one' {
        $wrong = 'SHA256:' + [Convert]::ToBase64String([byte[]](1..32)).TrimEnd('=')
        $err = $null
        Connect-PhoenixHost -HostName $sshd.host -Port $sshd.port -UserName $sshd.user -KeyFile $sshd.keyFile -HostKeyFingerprint $wrong `
            -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'HostKeyMismatch,Phoenix.PowerShell.Commands.ConnectPhoenixHostCommand'
        $err[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $err[0].Exception.Message | Should -BeLike "*$($sshd.hostKeyFingerprint)*"
        $err[0].TargetObject | Should -Be $sshd.host
    }

    It 'refuses an unknown host key and says how to pin it' {
        Set-Content -Path $knownHosts -Value '' -NoNewline
        $err = $null
        Connect-PhoenixHost -HostName $sshd.host -Port $sshd.port -UserName $sshd.user -KeyFile $sshd.keyFile -KnownHostsPath $knownHosts `
            -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'HostKeyUnknown,Phoenix.PowerShell.Commands.ConnectPhoenixHostCommand'
        $err[0].Exception.Message | Should -BeLike "*$($sshd.hostKeyFingerprint)*"
        $err[0].Exception.Message | Should -BeLike '*-HostKeyFingerprint*'
        (Get-Content -Raw $knownHosts) | Should -BeNullOrEmpty
    }

    It 'accepts a new host key with -AcceptNewHostKey, then trusts known_hosts' {
        Set-Content -Path $knownHosts -Value '' -NoNewline
        $s1 = Connect-PhoenixHost -HostName $sshd.host -Port $sshd.port -UserName $sshd.user -KeyFile $sshd.keyFile -KnownHostsPath $knownHosts `
            -AcceptNewHostKey
        $s1.IsConnected | Should -BeTrue
        (Get-Content -Raw $knownHosts) | Should -Match "^\[127\.0\.0\.1\]:$($sshd.port) ssh-ed25519 "
        $s2 = Connect-PhoenixHost -HostName $sshd.host -Port $sshd.port -UserName $sshd.user -KeyFile $sshd.keyFile -KnownHostsPath $knownHosts
        $s2.HostKeyFingerprint | Should -Be $sshd.hostKeyFingerprint
        $s1, $s2 | Disconnect-PhoenixHost
        $s1.IsConnected | Should -BeFalse
        (Get-PhoenixHost | Where-Object Id -In $s1.Id, $s2.Id) | Should -BeNullOrEmpty
    }

    It 'refuses a changed host key even with -AcceptNewHostKey' {
        $null = & ssh-keygen -q -t ed25519 -N '' -f (Join-Path $sshd.dir 'otherkey')
        $parts = (Get-Content (Join-Path $sshd.dir 'otherkey.pub')) -split ' '
        Set-Content -Path $knownHosts -Value "[127.0.0.1]:$($sshd.port) $($parts[0]) $($parts[1])"
        $err = $null
        Connect-PhoenixHost -HostName $sshd.host -Port $sshd.port -UserName $sshd.user -KeyFile $sshd.keyFile -KnownHostsPath $knownHosts `
            -AcceptNewHostKey -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'HostKeyChanged,Phoenix.PowerShell.Commands.ConnectPhoenixHostCommand'
        $err[0].Exception.Message | Should -BeLike "*$($sshd.hostKeyFingerprint)*"
    }

    It 'gives a clear error for a closed port' {
        $port = Get-FreeTcpPort
        $err = $null
        Connect-PhoenixHost -HostName 127.0.0.1 -Port $port -KeyFile $sshd.keyFile -HostKeyFingerprint $sshd.hostKeyFingerprint -ErrorVariable err `
            -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ConnectionRefused,Phoenix.PowerShell.Commands.ConnectPhoenixHostCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $err[0].Exception.Message | Should -BeLike "*127.0.0.1:$port*"
    }

    It 'refuses a key the server does not know' {
        $null = & ssh-keygen -q -t ed25519 -N '' -f (Join-Path $sshd.dir 'strangerkey')
        $err = $null
        Connect-PhoenixHost -HostName $sshd.host -Port $sshd.port -UserName $sshd.user -KeyFile (Join-Path $sshd.dir 'strangerkey') `
            -HostKeyFingerprint $sshd.hostKeyFingerprint -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'AuthenticationFailed,Phoenix.PowerShell.Commands.ConnectPhoenixHostCommand'
    }

    It 'without -KeyFile tries the default keys as ssh does: an encrypted one needs -KeyPassphrase, one that does not open is passed over' {
        # A home of its own: ~/.ssh/id_ed25519 is encrypted, ~/.ssh/id_ecdsa is not; the server knows both.
        $home2 = Join-Path $sshd.dir 'home-defaults'
        $dotSsh = Join-Path $home2 '.ssh'
        $null = New-Item -ItemType Directory -Force $dotSsh
        $null = & ssh-keygen -q -t ed25519 -N 'correct horse' -f (Join-Path $dotSsh 'id_ed25519')
        $null = & ssh-keygen -q -t ecdsa -N '' -f (Join-Path $dotSsh 'id_ecdsa')
        foreach ($k in 'id_ed25519', 'id_ecdsa') { Add-Content (Join-Path $sshd.dir 'authorized_keys') (Get-Content (Join-Path $dotSsh "$k.pub")) }
        $connect = "Connect-PhoenixHost -HostName $($sshd.host) -Port $($sshd.port) -UserName $($sshd.user) -HostKeyFingerprint '$($sshd.hostKeyFingerprint)'"
        $saved = $env:HOME
        try {
            $env:HOME = $home2
            # No passphrase: the encrypted key is passed over and the plain one logs in.
            $plain = Invoke-ChildPwsh "($connect).IsConnected"
            # Only the encrypted key: it opens with -KeyPassphrase, and without one nothing is left to log in with.
            Remove-Item (Join-Path $dotSsh 'id_ecdsa')
            $withPassphrase = Invoke-ChildPwsh ("(`$p = ConvertTo-SecureString 'correct horse' -AsPlainText -Force) | Out-Null; ($connect " +
                "-KeyPassphrase `$p).IsConnected")
            $none = Invoke-ChildPwsh "$connect -ErrorAction SilentlyContinue -ErrorVariable e | Out-Null; `$e[0].FullyQualifiedErrorId"
        } finally { $env:HOME = $saved }
        $plain.Output.Trim() | Should -Be 'True'
        $withPassphrase.Output.Trim() | Should -Be 'True'
        $none.Output.Trim() | Should -Be 'NoCredential,Phoenix.PowerShell.Commands.ConnectPhoenixHostCommand'
    }

    It 'closes every session and then tells the user to connect' {
        Get-PhoenixHost | Disconnect-PhoenixHost
        Get-PhoenixHost | Should -BeNullOrEmpty
        { Get-PhoenixVm } | Should -Throw -ErrorId 'NoSession,Phoenix.PowerShell.Commands.GetPhoenixVmCommand' `
            -ExpectedMessage '*Connect-PhoenixHost -Simulator*'
    }
}
