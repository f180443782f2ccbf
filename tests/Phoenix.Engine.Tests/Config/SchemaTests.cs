using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Phoenix.Engine.Config;
using Xunit;

namespace Phoenix.Engine.Tests.Config;

/// <summary>schema/phoenix-config.schema.json accepts the real file and the example, refuses bad values, and documents every known field.</summary>
public class SchemaTests
{
    private static readonly string SchemaPath = Path.Combine(TestPaths.RepoRoot, "schema", "phoenix-config.schema.json");
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(SchemaPath));

    private static EvaluationResults Evaluate(string json)
        => Schema.Evaluate(JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Errors(EvaluationResults r)
        => string.Join("\n", (r.Details ?? new List<EvaluationResults>()).Where(d => d.Errors != null)
            .SelectMany(d => d.Errors!.Select(e => d.InstanceLocation + " " + e.Key + ": " + e.Value)));

    [Fact]
    public void The_real_world_file_is_valid()
    {
        var r = Evaluate(File.ReadAllText(TestPaths.RealWorldConfig));
        Assert.True(r.IsValid, Errors(r));
    }

    [SharedRealWorldFact]
    public void The_original_real_world_file_is_valid()
    {
        var r = Evaluate(File.ReadAllText(TestPaths.SharedRealWorldConfig));
        Assert.True(r.IsValid, Errors(r));
    }

    [Fact]
    public void The_examples_are_valid()
    {
        var files = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "examples"), "*.json");
        Assert.NotEmpty(files);
        foreach (var f in files)
        {
            var r = Evaluate(File.ReadAllText(f));
            Assert.True(r.IsValid, f + "\n" + Errors(r));
        }
    }

    [Fact]
    public void The_test_base_config_is_valid()
    {
        var r = Evaluate(ConfigSamples.Base);
        Assert.True(r.IsValid, Errors(r));
    }

    [Theory]
    [InlineData("\"vmid\": 101", "\"vmid\": 50", "/vms/1/vmid")]
    [InlineData("\"vmid\": 101", "\"vmid\": \"101\"", "/vms/1/vmid")]
    [InlineData("\"web-01\"", "\"web_01\"", "/vms/1/name")]
    [InlineData("\"10.0.0.11/24\"", "\"10.0.0.11\"", "/vms/1/network_config/ip")]
    [InlineData(ConfigSamples.Sha512Hash, "plain-password", "/vms/1/user_config/password_hash")]
    [InlineData("\"features\": [\"docker\"],", "\"features\": [\"docker\"], \"template_snapshot_name\": \"current\",", "/vms/1/template_snapshot_name")]
    [InlineData("\"features\": [\"docker\"],", "\"features\": [\"docker\"], \"dependencies\": [\"abc\"],", "/vms/1/dependencies/0")]
    public void Bad_values_are_refused_at_their_location(string find, string replace, string location)
    {
        var r = Evaluate(ConfigSamples.Base.Replace(find, replace));
        Assert.False(r.IsValid);
        Assert.Contains(r.Details!, d => !d.IsValid && d.InstanceLocation.ToString() == location);
    }

    [Fact]
    public void Unknown_fields_are_allowed()
    {
        var r = Evaluate(ConfigSamples.Base.Replace("\"features\": [\"docker\"],", "\"features\": [\"docker\"], \"firewall\": { \"rules\": [1, 2] }, \"volumes\": [],"));
        Assert.True(r.IsValid, Errors(r));
    }

    [Fact]
    public void Every_known_field_is_documented()
    {
        var fields = JsonNode.Parse(File.ReadAllText(SchemaPath))!["definitions"]!["vmFields"]!["properties"]!.AsObject();
        foreach (var f in PhoenixConfigLoader.KnownVmFields)
            Assert.True(fields[f]?["description"] != null || (fields[f]?["$ref"] != null && f == "vmid"), "no description for " + f);
        foreach (var (section, known) in new[] { ("network_config", PhoenixConfigLoader.KnownNetworkFields), ("user_config", PhoenixConfigLoader.KnownUserFields), ("snapshots", PhoenixConfigLoader.KnownSnapshotFields) })
            foreach (var f in known)
                Assert.True(fields[section]!["properties"]![f]?["description"] != null, "no description for " + section + "." + f);
        Assert.Equal(PhoenixConfigLoader.KnownVmFields.OrderBy(x => x), fields.Select(p => p.Key).OrderBy(x => x));
    }
}
