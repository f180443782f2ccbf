using Phoenix.Simulator.Internal;

namespace Phoenix.Simulator.Tests;

/// <summary>The small building blocks: SHA-256 crypt, Perl JSON, Proxmox text helpers.</summary>
public class InternalsTests
{
    [Fact]
    public void ShaCryptMatchesOpenssl()
    {
        // openssl passwd -5 -salt saltstring 'Hello world!'
        Assert.Equal("$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", ShaCrypt.Sha256Crypt("Hello world!", "saltstring"));
    }

    [Fact]
    public void PerlPrettyJsonIsCanonical()
    {
        var o = PerlJson.Obj();
        o["b"] = new List<object?> { 1, "x\n\"y\"" };
        o["a"] = PerlJson.Obj();
        o["c"] = new List<object?>();
        Assert.Equal("{\n   \"a\" : {},\n   \"b\" : [\n      1,\n      \"x\\n\\\"y\\\"\"\n   ],\n   \"c\" : []\n}\n", PerlJson.Pretty(o));
        Assert.Equal("{\"a\":{},\"b\":[1,\"x\\n\\\"y\\\"\"],\"c\":[]}", PerlJson.Compact(o));
    }

    [Fact]
    public void EncodeTextEscapesColonsControlAndNonAscii()
    {
        // '%' is escaped too since pve-common fix #5486; decoding takes the old unescaped form as well.
        Assert.Equal("a%3Ab%0Ac%C3%A9 100%25", PveText.EncodeText("a:b\ncé 100%"));
        Assert.Equal("100%", PveText.DecodeText("100%"));
        Assert.Equal("a:b\ncé", PveText.DecodeText("a%3Ab%0Ac%C3%A9"));
    }

    [Fact]
    public void SizesAndBytes()
    {
        Assert.Equal("32G", PveText.FormatSize(32L * 1024 * 1024 * 1024));
        Assert.Equal("4M", PveText.FormatSize(4 * 1024 * 1024));
        Assert.Equal(3758096384L, PveText.ParseSize("3.5G"));
        Assert.Equal("1.0 GiB", PveText.RenderBytes(1024d * 1024 * 1024));
        Assert.Equal("0.0 B", PveText.RenderBytes(0));
    }
}
