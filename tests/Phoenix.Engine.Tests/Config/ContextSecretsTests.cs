using Phoenix.Engine.Config;
using Xunit;

namespace Phoenix.Engine.Tests.Config;

public class ContextSecretsTests
{
    [Fact]
    public void The_context_file_holds_no_field_named_like_a_secret_wherever_it_is()
    {
        const string json = """
        {
          "vms": [
            {
              "vmid": 101, "name": "app-01",
              "db_password": "top-level-secret",
              "user_config": { "username": "ops", "password": "plain-secret", "password-hash": "$6$misspelt$abc" },
              "app": { "api_token": "nested-secret", "port": 8080 }
            }
          ]
        }
        """;
        var spec = PhoenixConfigLoader.Parse(json, "ctx.json").Vms[0];
        var context = spec.ToContextJson();
        foreach (var secret in new[] { "top-level-secret", "plain-secret", "$6$misspelt$abc", "nested-secret", "db_password", "api_token" })
            Assert.DoesNotContain(secret, context);
        Assert.Contains("\"port\": 8080", context);
        Assert.Contains("\"username\": \"ops\"", context);
    }
}
