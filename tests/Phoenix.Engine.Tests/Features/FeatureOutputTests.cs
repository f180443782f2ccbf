using Xunit;
using Phoenix.Engine.Features;

namespace Phoenix.Engine.Tests.Features;

public sealed class FeatureOutputTests
{
    [Theory]
    [InlineData("[docker] done\nPHOENIX_CHANGED=1\n", true)]
    [InlineData("[docker] no change\nPHOENIX_CHANGED=0\n", false)]
    [InlineData("PHOENIX_CHANGED=0", false)]
    [InlineData("PHOENIX_CHANGED=1\r\n", true)]
    [InlineData("PHOENIX_CHANGED=1  \n", true)]
    [InlineData("PHOENIX_CHANGED=0\nlater output\nPHOENIX_CHANGED=1\nstderr after\n", true)]
    [InlineData("PHOENIX_CHANGED=1\nPHOENIX_CHANGED=0\n", false)]
    public void ParseChanged_takes_the_last_marker_line(string output, bool expected)
    {
        Assert.Equal(expected, FeatureOutput.ParseChanged(output));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("no marker at all\n")]
    [InlineData("echo PHOENIX_CHANGED=1\n")]
    [InlineData("  PHOENIX_CHANGED=1\n")]
    [InlineData("PHOENIX_CHANGED=yes\n")]
    [InlineData("PHOENIX_CHANGED=10\n")]
    [InlineData("PHOENIX_CHANGED=\n")]
    public void ParseChanged_is_null_without_an_exact_marker_line(string? output)
    {
        Assert.Null(FeatureOutput.ParseChanged(output));
    }

    [Fact]
    public void LastLines_returns_the_tail_without_the_empty_line_after_the_final_newline()
    {
        const string output = "one\ntwo\r\nthree\nfour\n";

        Assert.Equal(new[] { "three", "four" }, FeatureOutput.LastLines(output, 2));
        Assert.Equal(new[] { "one", "two", "three", "four" }, FeatureOutput.LastLines(output, 20));
        Assert.Equal("two\nthree\nfour", FeatureOutput.Tail(output, 3));
    }

    [Fact]
    public void LastLines_keeps_blank_lines_inside_the_output()
    {
        Assert.Equal(new[] { "a", "", "b" }, FeatureOutput.LastLines("a\n\nb", 3));
    }

    [Fact]
    public void LastLines_of_nothing_is_empty()
    {
        Assert.Empty(FeatureOutput.LastLines(null, 20));
        Assert.Empty(FeatureOutput.LastLines("", 20));
        Assert.Empty(FeatureOutput.LastLines("x\n", 0));
        Assert.Equal("", FeatureOutput.Tail(null, 5));
    }

    [Fact]
    public void LastLines_refuses_a_negative_count()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureOutput.LastLines("x", -1));
    }
}

public sealed class FeatureContractTests
{
    [Theory]
    [InlineData(0, "success")]
    [InlineData(1, "an unexpected command failed")]
    [InlineData(2, "bad or missing context")]
    [InlineData(3, "package manager (apt) failure")]
    [InlineData(4, "download failure")]
    [InlineData(5, "the apt/dpkg lock stayed held past the timeout")]
    [InlineData(6, "unsupported OS or release")]
    [InlineData(7, "a service or system setting could not be changed")]
    [InlineData(8, "a user or group change failed")]
    [InlineData(9, "not run as root")]
    [InlineData(127, "a command was not found")]
    [InlineData(137, "killed by signal 9")]
    public void DescribeExitCode_follows_the_bundled_features_convention(int code, string meaning)
    {
        Assert.Equal(meaning, FeatureContract.DescribeExitCode(code));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(-1)]
    public void DescribeExitCode_is_null_outside_the_convention(int code)
    {
        Assert.Null(FeatureContract.DescribeExitCode(code));
    }

    [Fact]
    public void The_contract_constants_match_the_scripts_and_Proxmox()
    {
        Assert.Equal("/tmp/vm_context.json", FeatureContract.DefaultContextFile);
        Assert.Equal(1048576, FeatureContract.MaxDeliveryBytes);
        Assert.Equal(
            new[] { "PHOENIX_VMID", "PHOENIX_VM_NAME", "PHOENIX_USERNAME", "PHOENIX_CONTEXT_FILE" },
            new[] { FeatureContract.EnvVmId, FeatureContract.EnvVmName, FeatureContract.EnvUserName, FeatureContract.EnvContextFile });

        // The bundled scripts default to the same context path and print the same marker.
        string docker = File.ReadAllText(Path.Combine(RepoPaths.Features, "feature_install_docker.sh"));
        Assert.Contains("CONTEXT_FILE=\"${PHOENIX_CONTEXT_FILE:-$R/tmp/vm_context.json}\"", docker);
        Assert.Contains("PHOENIX_CHANGED=%s", docker);
    }
}
