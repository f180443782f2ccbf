using Phoenix.Engine.Config;
using Xunit;

namespace Phoenix.Engine.Tests.Config;

/// <summary>
/// The template field resolves by name to exactly one template, of the file or else of the cluster; none or several is an
/// error naming the candidates. Every clone edge, a template name and the default template included, can close a cycle.
/// </summary>
public class TemplateNameValidationTests
{
    private const string File = "cfg/templates.json";

    // Templates 9000 "base" and 9100 "other" in the file; VM 101 names its clone source by $template.
    private static string Config(string template, string extraTemplate = "") => $$"""
{
  "vms": [
    { "vmid": 9000, "name": "base", "is_template": true, "template_image": "noble.img" },
    { "vmid": 9100, "name": "other", "is_template": true, "template_image": "noble.img" },
    {{extraTemplate}}
    { "vmid": 101, "name": "web-01", "template": "{{template}}" }
  ]
}
""";

    private static IReadOnlyList<ConfigFinding> Check(string json, IReadOnlyList<KeyValuePair<string, int>>? host = null, bool online = false) =>
        new ConfigValidator(new ConfigValidationOptions
        {
            HostTemplates = online || host != null ? () => host : null,
        }).Validate(PhoenixConfigLoader.Parse(json, File)).Where(f => f.Rule is ConfigRules.TemplateNameUnresolved or ConfigRules.Cycle).ToList();

    private static KeyValuePair<string, int> T(string name, int id) => new(name, id);

    [Fact]
    public void One_template_of_the_file_with_that_name_is_fine_offline_and_nothing_is_asked()
    {
        var asked = false;
        var findings = new ConfigValidator(new ConfigValidationOptions { HostTemplates = () => { asked = true; return null; } })
            .Validate(PhoenixConfigLoader.Parse(Config("other"), File));
        Assert.DoesNotContain(findings, f => f.Rule is ConfigRules.TemplateNameUnresolved or ConfigRules.Cycle);
        Assert.False(asked);
    }

    [Fact]
    public void Several_templates_of_the_file_with_that_name_are_an_error_naming_them()
    {
        var f = Assert.Single(Check(Config("base", """{ "vmid": 9001, "name": "base", "is_template": true, "template_image": "noble.img" },""")));
        Assert.Equal(ConfigRules.TemplateNameUnresolved, f.Rule);
        Assert.Equal(ConfigSeverity.Error.ToString(), f.Severity);
        Assert.Equal("vms[3].template", f.JsonPath);
        Assert.EndsWith("template \"base\" names 2 templates of the config: 9000, 9001, so Phoenix cannot tell which to clone.", f.Message);
        Assert.Contains("template_vmid", f.Suggestion);
    }

    [Fact]
    public void Offline_a_name_outside_the_file_is_a_warning_that_names_the_file_templates()
    {
        var f = Assert.Single(Check(Config("noble")));
        Assert.Equal(ConfigSeverity.Warning.ToString(), f.Severity);
        Assert.Contains("template \"noble\" names no template of the config (it has \"base\" (9000, in the config), \"other\" (9100, in the config)), " +
            "and no host was asked", f.Message);
    }

    [Fact]
    public void With_a_host_one_cluster_template_of_that_name_is_fine()
    {
        Assert.Empty(Check(Config("noble"), new[] { T("noble", 8000), T("jammy", 8001) }));
    }

    [Fact]
    public void With_a_host_no_template_of_that_name_is_an_error_naming_every_template_there_is()
    {
        var f = Assert.Single(Check(Config("noble"), new[] { T("jammy", 8001), T("focal", 8000) }));
        Assert.Equal(ConfigSeverity.Error.ToString(), f.Severity);
        Assert.EndsWith("template \"noble\" names no template of the config or the cluster; the templates there are \"base\" (9000, in the config), " +
            "\"other\" (9100, in the config), \"focal\" (8000), \"jammy\" (8001).", f.Message);
    }

    [Fact]
    public void With_a_host_several_cluster_templates_of_that_name_are_an_error_naming_them()
    {
        var f = Assert.Single(Check(Config("noble"), new[] { T("noble", 8002), T("noble", 8000) }));
        Assert.Equal(ConfigSeverity.Error.ToString(), f.Severity);
        Assert.EndsWith("template \"noble\" names 2 templates on the cluster: 8000, 8002, so Phoenix cannot tell which to clone.", f.Message);
    }

    [Fact]
    public void A_host_that_could_not_be_asked_gives_a_warning()
    {
        var f = Assert.Single(Check(Config("noble"), online: true));
        Assert.Equal(ConfigSeverity.Warning.ToString(), f.Severity);
        Assert.Contains("the host could not be asked for its templates", f.Message);
    }

    [Fact]
    public void A_template_name_closes_a_cycle()
    {
        var json = Config("other").Replace("""{ "vmid": 9100, "name": "other", "is_template": true, "template_image": "noble.img" }""",
            """{ "vmid": 9100, "name": "other", "is_template": true, "template_image": "noble.img", "dependencies": ["101"] }""");
        var f = Assert.Single(Check(json), x => x.Rule == ConfigRules.Cycle);
        Assert.Contains("dependencies and clones form a cycle: 101 -> 9100 -> 101 (101 clones template 9100, 9100 depends on 101).", f.Message);
    }

    [Fact]
    public void The_default_template_closes_a_cycle()
    {
        var json = """
{
  "vms": [
    { "vmid": 9000, "name": "base", "is_template": true, "template_image": "noble.img", "dependencies": ["101"] },
    { "vmid": 101, "name": "web-01" }
  ]
}
""";
        var f = Assert.Single(Check(json), x => x.Rule == ConfigRules.Cycle);
        Assert.Contains("dependencies and clones form a cycle: 101 -> 9000 -> 101 (101 clones the default template 9000, 9000 depends on 101).", f.Message);
        // Another default template (Deploy-PhoenixVm -DefaultTemplateVmId) is no edge to 9000.
        var other = new ConfigValidator(new ConfigValidationOptions { DefaultTemplateVmId = 9500 }).Validate(PhoenixConfigLoader.Parse(json, File));
        Assert.DoesNotContain(other, x => x.Rule == ConfigRules.Cycle);
    }
}
