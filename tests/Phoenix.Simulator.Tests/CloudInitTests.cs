namespace Phoenix.Simulator.Tests;

/// <summary>qm cloudinit dump and update (section 2 of the note).</summary>
public class CloudInitTests
{
    private static TestSim NoteExample()
    {
        var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101 --name web01");
        sim.Ok("qm set 101 --net0 virtio=BC:24:11:AA:BB:CC,bridge=vmbr0 --ipconfig0 ip=10.0.0.101/24,gw=10.0.0.1" +
            " --nameserver '1.1.1.1 8.8.8.8' --searchdomain example.com");
        return sim;
    }

    [Fact]
    public void NetworkDumpIsTheNotesExample()
    {
        using var sim = NoteExample();
        var r = sim.Run("qm cloudinit dump 101 network");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "version: 1\n" +
            "config:\n" +
            "    - type: physical\n" +
            "      name: eth0\n" +
            "      mac_address: 'bc:24:11:aa:bb:cc'\n" +
            "      subnets:\n" +
            "      - type: static\n" +
            "        address: '10.0.0.101'\n" +
            "        netmask: '255.255.255.0'\n" +
            "        gateway: '10.0.0.1'\n" +
            "    - type: nameserver\n" +
            "      address:\n" +
            "      - '1.1.1.1'\n" +
            "      - '8.8.8.8'\n" +
            "      search:\n" +
            "      - 'example.com'\n" +
            "\n",
            r.StdOut);
    }

    [Fact]
    public void NetworkDumpForDhcpAndIpv6AndHostDns()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 102");
        sim.Ok("qm set 102 --net0 virtio=BC:24:11:00:00:02,bridge=vmbr0 --ipconfig0 ip=dhcp,ip6=auto" +
            " --net1 virtio=BC:24:11:00:00:03 --ipconfig1 ip6=fd00::5/64,gw6=fd00::1");
        var r = sim.Run("qm cloudinit dump 102 network");
        Assert.Equal(
            "version: 1\n" +
            "config:\n" +
            "    - type: physical\n" +
            "      name: eth0\n" +
            "      mac_address: 'bc:24:11:00:00:02'\n" +
            "      subnets:\n" +
            "      - type: dhcp4\n" +
            "      - type: ipv6_slaac\n" +
            "    - type: physical\n" +
            "      name: eth1\n" +
            "      mac_address: 'bc:24:11:00:00:03'\n" +
            "      subnets:\n" +
            "      - type: static6\n" +
            "        address: 'fd00::5/64'\n" +
            "        gateway: 'fd00::1'\n" +
            "    - type: nameserver\n" +
            "      address:\n" +
            "      - '10.0.0.1'\n" +
            "      search:\n" +
            "      - 'localdomain'\n" +
            "\n",
            r.StdOut);
    }

    [Fact]
    public void UserDumpWithUserPasswordAndKeys()
    {
        using var sim = NoteExample();
        sim.WriteFile("/root/keys.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b\n");
        sim.Ok("qm set 101 --ciuser phoenix --cipassword '$6$salt$hash' --sshkeys /root/keys.pub");
        var r = sim.Run("qm cloudinit dump 101 user");
        Assert.Equal(
            "#cloud-config\n" +
            "hostname: web01\n" +
            "manage_etc_hosts: true\n" +
            "fqdn: web01.example.com\n" +
            "user: phoenix\n" +
            "password: $6$salt$hash\n" +
            "ssh_authorized_keys:\n" +
            "  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b\n" +
            "chpasswd:\n" +
            "  expire: False\n" +
            "users:\n" +
            "  - default\n" +
            "package_upgrade: true\n" +
            "\n",
            r.StdOut);
    }

    [Fact]
    public void UserDumpForRootWithoutUpgrade()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 103 --name db.internal.example");
        sim.Ok("qm set 103 --ciuser root --ciupgrade 0");
        Assert.Equal(
            "#cloud-config\nhostname: db\nmanage_etc_hosts: true\nfqdn: db.internal.example\nuser: root\ndisable_root: False\nchpasswd:\n  expire: False\n\n",
            sim.Run("qm cloudinit dump 103 user").StdOut);
    }

    [Fact]
    public void MetaDumpIsTheSha1OfUserAndNetwork()
    {
        using var sim = NoteExample();
        var user = sim.Run("qm cloudinit dump 101 user").StdOut;
        var network = sim.Run("qm cloudinit dump 101 network").StdOut;
        var expected = Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(
            System.Text.Encoding.UTF8.GetBytes(user[..^1] + network[..^1]))).ToLowerInvariant();
        Assert.Equal($"instance-id: {expected}\n\n", sim.Run("qm cloudinit dump 101 meta").StdOut);
    }

    [Fact]
    public void DumpIgnoresCicustom()
    {
        using var sim = NoteExample();
        sim.Ok("qm set 101 --cicustom user=local:snippets/none.yml");
        Assert.StartsWith("#cloud-config\nhostname: web01\n", sim.Run("qm cloudinit dump 101 user").StdOut);
    }

    [Fact]
    public void DumpTypeIsAnEnum()
    {
        using var sim = NoteExample();
        Assert.Equal(
            "400 Parameter verification failed.\ntype: value 'vendor' does not have a value in the enumeration 'user, network, meta'\n" +
                "qm cloudinit dump <vmid> <type>\n",
            sim.Run("qm cloudinit dump 101 vendor").StdErr);
    }

    [Fact]
    public void UpdateRegeneratesAndReportsSnippetErrors()
    {
        using var sim = NoteExample();
        Assert.Equal((0, "generating cloud-init ISO\n"), (sim.Run("qm cloudinit update 101").ExitCode, sim.Run("qm cloudinit update 101").StdOut));
        sim.Ok("qm set 101 --cicustom user=local:snippets/user-data-101.yml");
        var r = sim.Run("qm cloudinit update 101");
        Assert.Equal((255, "", "can't find file 'local:snippets/user-data-101.yml'\n"), (r.ExitCode, r.StdOut, r.StdErr));
    }

    [Fact]
    public void UpdateWithoutCloudInitDriveDoesNothing()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm create 300 --name plain");
        var r = sim.Run("qm cloudinit update 300");
        Assert.Equal((0, "", ""), (r.ExitCode, r.StdOut, r.StdErr));
    }

    [Fact]
    public void UpdateRefusesALockedVm()
    {
        using var sim = NoteExample();
        sim.Ok("qm set 101 --lock snapshot");
        Assert.Equal("VM is locked (snapshot)\n", sim.Run("qm cloudinit update 101").StdErr);
    }

    [Fact]
    public void CloudInitPendingShowsOnlyCloudInitOptions()
    {
        using var sim = NoteExample();
        Assert.Equal(
            "cur ipconfig0: ip=10.0.0.101/24,gw=10.0.0.1\ncur nameserver: 1.1.1.1 8.8.8.8\ncur searchdomain: example.com\n",
            sim.Run("qm cloudinit pending 101").StdOut);
    }
}
