using Xunit;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Phoenix.Engine.Tests.Features;

/// <summary>
/// Runs the shell tests of the bundled feature scripts (tests/guest/run-feature-tests.sh) so that
/// they count in the xunit run: the docker feature twice in a fake guest, the error exit codes,
/// the stand-ins, shellcheck. Needs bash and shellcheck on the machine.
/// </summary>
public sealed class GuestScriptTests
{
    [Fact]
    public async Task The_feature_shell_tests_pass()
    {
        string script = Path.Combine(RepoPaths.Root, "tests", "guest", "run-feature-tests.sh");
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add(script);
        psi.Environment["LC_ALL"] = "C.UTF-8";

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        bool exited = true;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            exited = false;
            process.Kill(entireProcessTree: true);
        }
        string output = await stdout + await stderr;

        Assert.True(exited, "run-feature-tests.sh did not finish in 120 s:\n" + output);
        string last = output.TrimEnd('\n').Split('\n').Last();
        Assert.Matches(new Regex(@"^\d+ passed, 0 failed$"), last);
        Assert.True(int.Parse(last.Split(' ')[0]) >= 70, "fewer shell checks ran than expected:\n" + output);
        Assert.True(process.ExitCode == 0, "run-feature-tests.sh failed:\n" + output);
    }
}
