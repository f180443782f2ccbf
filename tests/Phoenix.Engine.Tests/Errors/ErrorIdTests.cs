using System.Reflection;
using System.Text.RegularExpressions;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Tests.Features;
using Xunit;

namespace Phoenix.Engine.Tests.Errors;

/// <summary>The error-ID convention written down in <see cref="ErrorIds"/>: declared IDs only, one PascalCase name each.</summary>
public sealed class ErrorIdTests
{
    private static readonly Regex PascalCase = new("^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$");

    // Where an ID is handed over as a literal: an engine exception's reason, a name-rule refusal, an ErrorRecord's ID.
    private static readonly Regex InlineId = new(string.Join("|",
        @"(?:PhoenixException|FeatureException)\(\s*PhoenixErrorKind\.\w+,\s*""",
        @"\bInvalid\(\s*""[A-Z][A-Za-z]+""",
        @"new ErrorRecord\(\w+,\s*"""));

    [Fact]
    public void Every_id_of_ErrorIds_is_its_own_PascalCase_name_and_none_is_declared_twice()
    {
        var fields = typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
        Assert.True(fields.Count > 90, $"only {fields.Count} IDs");
        foreach (var f in fields)
        {
            var value = (string)f.GetRawConstantValue()!;
            Assert.Equal(f.Name, value);
            Assert.Matches(PascalCase, value);
        }
        Assert.Equal(fields.Count, fields.Select(f => (string)f.GetRawConstantValue()!).Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void The_other_two_lists_follow_the_same_convention()
    {
        foreach (var f in typeof(ConfigRules).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
        {
            Assert.Equal(f.Name, (string)f.GetRawConstantValue()!);
            Assert.Matches(PascalCase, f.Name);
        }
        foreach (var name in Enum.GetNames(typeof(ProxmoxErrorReason))) Assert.Matches(PascalCase, name);
    }

    [Fact]
    public void No_engine_or_cmdlet_code_writes_an_error_id_inline()
    {
        var inline = new List<string>();
        foreach (var project in new[] { "src/Phoenix.Engine", "src/Phoenix.PowerShell" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, project), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar)) continue;
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                    if (InlineId.IsMatch(lines[i])) inline.Add($"{Path.GetRelativePath(RepoPaths.Root, file)}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(inline.Count == 0, "Error IDs written inline (declare them in ErrorIds):\n" + string.Join("\n", inline));
    }

    [Fact]
    public void The_pattern_the_check_uses_does_catch_an_inline_id()
    {
        Assert.Matches(InlineId, "throw new PhoenixException(PhoenixErrorKind.NotFound, \"SomethingMissing\", message);");
        Assert.Matches(InlineId, "throw ProxmoxNames.Invalid(\"NoOptions\", message, vmId);");
        Assert.Matches(InlineId, "return new ErrorRecord(error, \"FileNotFound\", ErrorCategory.ObjectNotFound, target);");
        Assert.DoesNotMatch(InlineId, "throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.VmNotFound, message);");
        Assert.DoesNotMatch(InlineId, "throw Invalid(\"it does not exist.\", \"Check the path given with -KeyFile.\", null);");
    }
}
