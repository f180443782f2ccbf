using Phoenix.Engine.CloudInit;
using Xunit;

namespace Phoenix.Engine.Tests.CloudInit;

// YamlTemplateEngine.Emit writes common values itself instead of building a YamlDotNet emitter per value; it must
// write exactly what the emitter writes.
public class YamlEmitTests
{
    private static IEnumerable<PlaceholderValue> Values()
    {
        for (char c = ' '; c <= '~'; c++)
        {
            var s = c.ToString();
            yield return PlaceholderValue.Str(s);
            yield return PlaceholderValue.Str(s + "a");
            yield return PlaceholderValue.Str("a" + s);
            yield return PlaceholderValue.Str(" " + s + " ");
            yield return PlaceholderValue.Str("a " + s + " b");
        }
        foreach (var s in new[] { "", " ", "  ", "true", "null", "~", "- x", "a: b", "#x", "x #y", "---", "...", "0x1F", "1e3", "010", "-1",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILKRw/TTzFW5S5SUS3Z3zq2QYL3DigG3JDIIwGeLdZui admin@example.lab",
            "$6$DVvtpNLYmiNW0q0Y$KBuYfzShY6tpT.uplmSKR/AaFgRfJr8CalEHGE27bc822fs7Pc8DZJVSuZKUFLRF1VNcpyCmmugaBhPZG0fVU.",
            "10.0.0.11/24", "render-1.lab.example", "é", "tab\there", "line\nbreak", "quote\"d", "back\\slash" })
            yield return PlaceholderValue.Str(s);
        yield return PlaceholderValue.Bool(true);
        yield return PlaceholderValue.Bool(false);
        foreach (var i in new[] { 0, 1, 100, 1001, 999999999, int.MaxValue }) yield return PlaceholderValue.Int(i);
        yield return PlaceholderValue.StrList(new[] { "10.0.0.13", "1.1.1.1" });
        yield return PlaceholderValue.StrList(new[] { "a, b", "[c]", "{d}" });
        yield return PlaceholderValue.StrList(new[] { "x\"y" });
        yield return PlaceholderValue.List(new[] { PlaceholderValue.Map(("to", PlaceholderValue.Str("0.0.0.0/0")), ("via", PlaceholderValue.Str("10.0.0.1"))) });
        yield return PlaceholderValue.Map(("a b", PlaceholderValue.Int(3)), ("c", PlaceholderValue.StrList(new[] { "d" })));
    }

    [Fact]
    public void The_own_writer_writes_what_YamlDotNets_emitter_writes()
    {
        var values = Values().ToList();
        var differ = values.Select(v => (ours: YamlTemplateEngine.Emit(v), emitter: YamlTemplateEngine.EmitWithYamlDotNet(v)))
            .Where(p => p.ours != p.emitter).Select(p => p.ours + " <> " + p.emitter).ToList();
        Assert.Empty(differ);
        Assert.True(values.Count > 400);
    }
}
