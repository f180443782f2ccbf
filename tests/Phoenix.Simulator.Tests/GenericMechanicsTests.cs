namespace Phoenix.Simulator.Tests;

/// <summary>proxmox-behaviour.md section 0: dispatch, options, parameter errors, exit codes.</summary>
public class GenericMechanicsTests
{
    [Fact]
    public void UnknownProgramAnswersLikeTheShell()
    {
        using var sim = TestSim.Create();
        var r = sim.Argv("pct", "list");
        Assert.Equal(127, r.ExitCode);
        Assert.Equal("", r.StdOut);
        Assert.Equal("sh: 1: pct: not found\n", r.StdErr);
    }

    [Fact]
    public void UnknownCommandPrintsErrorAndUsage()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm foo 100");
        Assert.Equal(255, r.ExitCode);
        Assert.StartsWith("ERROR: unknown command 'qm foo'\nUSAGE: qm <COMMAND> [ARGS] [OPTIONS]\n\n", r.StdErr);
        Assert.Contains("       qm clone <vmid> <newid> [OPTIONS]\n", r.StdErr);
        Assert.Contains("       qm list  [OPTIONS]\n", r.StdErr);
    }

    [Fact]
    public void IncompleteSubCommandListsTheGroup()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm guest");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal(
            "ERROR: incomplete command 'qm guest'\nUSAGE: qm <COMMAND> [ARGS] [OPTIONS]\n\n" +
            "       qm guest cmd <vmid> <command>\n" +
            "       qm guest exec-status <vmid> <pid>\n" +
            "       qm guest exec <vmid> [<extra-args>] [OPTIONS]\n",
            r.StdErr);
    }

    [Fact]
    public void NotEnoughArgumentsIsA400WithUsage()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm clone 9000");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("400 not enough arguments\nqm clone <vmid> <newid> [OPTIONS]\n", r.StdErr);
    }

    [Fact]
    public void TooManyArguments()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm status 9000 9001");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("400 too many arguments\nqm status <vmid> [OPTIONS]\n", r.StdErr);
    }

    [Fact]
    public void UnknownOptionWarnsThenFailsToParse()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm clone 9000 123 --bogus 1");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("Unknown option: bogus\n400 unable to parse option\nqm clone <vmid> <newid> [OPTIONS]\n", r.StdErr);
    }

    [Fact]
    public void AmbiguousOptionPrefixFails()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm clone 9000 123 --f 1");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("Option f is ambiguous (format, full)\n400 unable to parse option\nqm clone <vmid> <newid> [OPTIONS]\n", r.StdErr);
    }

    [Fact]
    public void VmidTypeCheckComesBeforeFormat()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm status abc");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("400 Parameter verification failed.\nvmid: type check ('integer') failed - got 'abc'\nqm status <vmid> [OPTIONS]\n", r.StdErr);
    }

    [Fact]
    public void VmidFormatErrorEndsWithABlankLine()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm clone 9000 99");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal(
            "400 Parameter verification failed.\nnewid: invalid format - value does not look like a valid VM ID\n\nqm clone <vmid> <newid> [OPTIONS]\n",
            r.StdErr);
    }

    [Fact]
    public void MissingConfigurationFile()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm status 123");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("Configuration file 'nodes/pve/qemu-server/123.conf' does not exist\n", r.StdErr);
    }

    [Fact]
    public void MissingConfigurationNamesTheNode()
    {
        using var sim = TestSim.Create(o => o.NodeName = "pve2");
        Assert.Equal("Configuration file 'nodes/pve2/qemu-server/123.conf' does not exist\n", sim.Run("qm config 123").StdErr);
    }

    [Fact]
    public void CommandAndOptionPrefixesExpand()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm stat 9000 --verb 0");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("status: stopped\n", r.StdOut);
    }

    [Fact]
    public void OptionsWithSingleDashAndEqualsAndAnyCase()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 120 -name=alpha");
        sim.Ok("qm set 120 --CORES 4");
        Assert.Contains("cores: 4\n", sim.Config(120));
        Assert.Contains("name: alpha\n", sim.Config(120));
    }

    [Fact]
    public void BooleanOptionsTakeOptionalValues()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm clone 9000 123 --full maybe");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("400 unable to parse boolean option\nqm clone <vmid> <newid> [OPTIONS]\n", r.StdErr);
    }

    [Fact]
    public void UsageOfACommandWithoutOptions()
    {
        using var sim = TestSim.Create();
        Assert.Equal("400 not enough arguments\nqm unlock <vmid>\n", sim.Run("qm unlock").StdErr);
    }

    [Fact]
    public void PveshUsageShowsFormatOptions()
    {
        using var sim = TestSim.Create();
        Assert.Equal("400 not enough arguments\npvesh get <api_path> [OPTIONS] [FORMAT_OPTIONS]\n", sim.Run("pvesh get").StdErr);
    }

    [Fact]
    public void ProgramMayBeGivenWithAPath()
    {
        using var sim = TestSim.Create();
        Assert.Equal("status: stopped\n", sim.Argv("/usr/sbin/qm", "status", "9000").StdOut);
    }

    [Fact]
    public void HelpPrintsUsage()
    {
        using var sim = TestSim.Create();
        Assert.Equal("USAGE: qm clone <vmid> <newid> [OPTIONS]\n", sim.Run("qm help clone").StdOut);
        Assert.Equal("USAGE: qm disk import <vmid> <source> <storage> [OPTIONS]\n", sim.Run("qm help importdisk").StdOut);
        Assert.StartsWith("USAGE: qm <COMMAND> [ARGS] [OPTIONS]\n\n       qm cloudinit dump <vmid> <type>\n", sim.Run("qm help").StdOut);
    }
}
