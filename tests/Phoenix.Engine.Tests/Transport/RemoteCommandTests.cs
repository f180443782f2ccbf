using System.Text;
using Phoenix.Engine.Transport;
using Xunit;

namespace Phoenix.Engine.Tests.Transport;

public sealed class RemoteCommandTests
{
    private const string Secret = "s3cr'et \"pa$$\" `x`";

    [Fact]
    public void Display_string_hides_secret_values_even_with_quotes_in_them()
    {
        var cmd = new RemoteCommand("qm", "set", "101").AddOption("--cipassword", Secret, secret: true).AddOption("--cores", "4");
        Assert.Equal("qm set 101 --cipassword '<redacted>' --cores 4", cmd.ToDisplayString());
        Assert.Equal(cmd.ToDisplayString(), cmd.ToString());
        Assert.Equal("qm set 101 --cipassword 's3cr'\\''et \"pa$$\" `x`' --cores 4", cmd.ToShellString());
    }

    [Fact]
    public void No_part_of_a_secret_leaks_into_the_display_string()
    {
        var cmd = new RemoteCommand("pvesh", "create").AddSecret(Secret);
        var shown = cmd.ToDisplayString();
        foreach (var piece in new[] { "s3cr", "et", "pa$$", "`x`" })
            Assert.DoesNotContain(piece, shown);
    }

    [Fact]
    public void Display_string_shows_only_the_length_of_standard_input()
    {
        var cmd = new RemoteCommand("tee", "/etc/pve/priv/token") { StandardInput = Encoding.UTF8.GetBytes("token-value-123\n"), StandardInputIsSecret = true };
        Assert.Equal("tee /etc/pve/priv/token <<< (16 bytes on stdin)", cmd.ToDisplayString());
        Assert.DoesNotContain("token-value", cmd.ToDisplayString());
    }

    [Fact]
    public void Arguments_keep_their_order_and_values()
    {
        var cmd = new RemoteCommand("qm", "clone", "9000").Add("101", "--name", "web 1").AddSecret("x");
        Assert.Equal(new[] { "qm", "clone", "9000", "101", "--name", "web 1", "x" }, cmd.Arguments);
    }

    [Fact]
    public void Null_or_empty_parts_are_refused_where_they_are_added()
    {
        Assert.Throws<ArgumentException>(() => new RemoteCommand(""));
        Assert.Throws<ArgumentNullException>(() => new RemoteCommand("echo", "a", null!));
        Assert.Throws<ArgumentNullException>(() => new RemoteCommand("echo").Add((string)null!));
        Assert.Throws<ArgumentNullException>(() => new RemoteCommand("echo").AddSecret(null!));
    }
}
