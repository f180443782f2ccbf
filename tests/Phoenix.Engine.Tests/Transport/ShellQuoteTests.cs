using System.Diagnostics;
using System.Text;
using Phoenix.Engine.Transport;
using Xunit;

namespace Phoenix.Engine.Tests.Transport;

/// <summary>
/// Property tests: arguments quoted by ShellQuote go through a real shell's parser and must arrive
/// byte for byte. Each batch is one `sh -c "printf '%s\0' <quoted args>"` run, the way sshd hands a
/// command line to the login shell.
/// </summary>
public sealed class ShellQuoteTests
{
    // Linux caps one execve argument at 128 KiB; stay well below it.
    private const int MaxCommandLineBytes = 100_000;

    public static readonly string[] Nasty =
    [
        "", " ", "  two  spaces  ", "'", "\"", "''", "'\"'\"'", "it's", "\"quoted\"",
        "$(id)", "$(rm -rf /tmp/never)", "`id`", "$HOME", "${HOME}", "$0", "$@", "$*", "$$", "$?", "$((1+1))",
        "*", "*.txt", "?", "[a-z]", "{a,b}", "~", "~root", "~/x", "a~b",
        ";", "a;b", "&&", "||", "|", "&", ">", ">>", "<", "<<EOF", "2>&1", "(", ")", "((", "{", "}",
        "a\nb", "\n", "\r", "a\r\nb", "\t", "\v", "\f", "trailing\n\n",
        "-n", "-e", "-E", "--", "-", "--help", "-c",
        "=", "a=b", "FOO=bar", "=x", "x=",
        "\\", "\\n", "\\0", "\\\\", "a\\'b", "!", "!!", "!$", "#", "# comment", "a#b", "%s", "%%", "%n",
        "\u00e9", "\u00df", "日本語", "😀", "👩‍👩‍👧", "\u200F", "\u202E", "\u200B", "\uFEFF", "\u0085", "\u2028", "\u00a0",
        "\u0001", "\u001b[31m", "\u007f", "\u0080", "\u009f",
        "shalom \u05e9\u05dc\u05d5\u05dd \u200F!", "e\u0301", "\uFFFD", "\U0010FFFF",
        new string('x', 10_240),
        string.Concat(Enumerable.Repeat("'$(`\"\\\n😀", 1_100)),
    ];

    [Fact]
    public void Nasty_arguments_arrive_unchanged_through_sh_and_bash()
    {
        AssertArrive("/bin/sh", Nasty);
        AssertArrive("/bin/bash", Nasty);
    }

    [Fact]
    public void Thousands_of_random_arguments_arrive_unchanged_through_sh_and_bash()
    {
        var random = new Random(20_240_601);
        var args = Enumerable.Range(0, 4000).Select(_ => RandomArgument(random)).ToList();
        AssertArrive("/bin/sh", args);
        AssertArrive("/bin/bash", args);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("/var/lib/vz/snippets/vm-101-user.yaml", "/var/lib/vz/snippets/vm-101-user.yaml")]
    [InlineData("--cores", "--cores")]
    [InlineData("local-lvm:vm-101-disk-0,size=8G", "'local-lvm:vm-101-disk-0,size=8G'")]
    [InlineData("", "''")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("a b", "'a b'")]
    [InlineData("$HOME", "'$HOME'")]
    [InlineData("~", "'~'")]
    [InlineData("x=1", "'x=1'")]
    public void Quote_leaves_plain_words_bare_and_single_quotes_the_rest(string argument, string expected)
    {
        Assert.Equal(expected, ShellQuote.Quote(argument));
    }

    [Fact]
    public void NUL_is_refused_without_repeating_the_value()
    {
        var e = Assert.Throws<ArgumentException>(() => ShellQuote.Quote("secret\0value"));
        Assert.StartsWith("An argument for a remote command cannot contain a NUL character.", e.Message);
        Assert.DoesNotContain("secret", e.Message);
        Assert.Throws<ArgumentException>(() => new RemoteCommand("echo", "a\0").ToShellString());
    }

    [Fact]
    public void A_lone_surrogate_is_refused()
    {
        // Built at run time: attribute arguments are stored as UTF-8 and would lose the lone surrogate.
        var cases = new[] { ("\ud800", 0), ("a\udc00b", 1), ("x\ud83d", 1), ("\ud83d\ude00\ude00", 2) };
        foreach (var (argument, index) in cases)
        {
            var e = Assert.Throws<ArgumentException>(() => ShellQuote.Quote(argument));
            Assert.StartsWith($"An argument for a remote command holds a lone UTF-16 surrogate at index {index}; it has no UTF-8 form.", e.Message);
        }
        Assert.Equal("'\ud83d\ude00'", ShellQuote.Quote("\ud83d\ude00")); // a proper pair is fine
    }

    private static string RandomArgument(Random r)
    {
        var length = r.Next(10) == 0 ? r.Next(100, 400) : r.Next(0, 24);
        var sb = new StringBuilder(length);
        const string specials = "'\"`$\\!#&*()[]{}|;<>?~=%^,.:/-+@ \t\n\r";
        while (sb.Length < length)
        {
            switch (r.Next(8))
            {
                case 0:
                case 1:
                    sb.Append((char)r.Next(0x20, 0x7F));
                    break;
                case 2:
                case 3:
                    sb.Append(specials[r.Next(specials.Length)]);
                    break;
                case 4:
                    sb.Append((char)r.Next(0x01, 0x20)); // control characters, never NUL
                    break;
                case 5:
                    sb.Append((char)r.Next(0x7F, 0x800)); // DEL, C1, Latin, Greek, Hebrew, Arabic
                    break;
                case 6:
                    // Anything else in the BMP except surrogates.
                    var c = (char)r.Next(0x800, 0xFFFE);
                    sb.Append(char.IsSurrogate(c) ? '\u200F' : c);
                    break;
                default:
                    sb.Append(char.ConvertFromUtf32(r.Next(0x10000, 0x10FFFF))); // astral: emoji and beyond, as a pair
                    break;
            }
        }
        return sb.ToString();
    }

    private static void AssertArrive(string shell, IReadOnlyList<string> args)
    {
        var batch = new List<string>();
        var bytes = 0;
        var batches = 0;
        foreach (var a in args)
        {
            var size = Encoding.UTF8.GetByteCount(ShellQuote.Quote(a)) + 1;
            if (batch.Count > 0 && bytes + size > MaxCommandLineBytes)
            {
                RunBatch(shell, batch);
                batches++;
                batch.Clear();
                bytes = 0;
            }
            batch.Add(a);
            bytes += size;
        }
        if (batch.Count > 0)
        {
            RunBatch(shell, batch);
            batches++;
        }
        Assert.True(batches <= 12, $"{batches} shell runs: the test is meant to stay fast");
    }

    private static void RunBatch(string shell, IReadOnlyList<string> args)
    {
        var commandLine = new RemoteCommand("printf", "%s\\0").Add(args.ToArray()).ToShellString();
        var psi = new ProcessStartInfo(shell)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(commandLine);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        using var output = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(output);
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{shell} failed: {stderr.Result}");

        var received = Split(output.ToArray());
        Assert.Equal(args.Count, received.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var expected = Encoding.UTF8.GetBytes(args[i]);
            if (!expected.AsSpan().SequenceEqual(received[i]))
                Assert.Fail($"{shell}: argument {i} changed: sent {Escape(args[i])}, got {Escape(Encoding.UTF8.GetString(received[i]))}");
        }
    }

    private static List<byte[]> Split(byte[] data)
    {
        var parts = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] != 0) continue;
            parts.Add(data[start..i]);
            start = i + 1;
        }
        Assert.Equal(data.Length, start); // every argument ends with its NUL
        return parts;
    }

    private static string Escape(string s) =>
        s.Length > 80 ? Escape(s[..80]) + $"... ({s.Length} chars)" :
        string.Concat(s.Select(c => c < 0x20 || c > 0x7E ? $"\\u{(int)c:x4}" : c.ToString()));
}
