using System.Text.Json.Nodes;

namespace Backstop.Cli.Tests;

/// <summary>
/// <c>backstop review --sarif -</c> writes a SARIF 2.1.0 log that the official schema accepts (SarifSchema), and that
/// code scanning tools can use: each result's ruleIndex names its own rule, an active suppression is external and
/// accepted. The same log, broken on purpose, is rejected, so the validation is not vacuous.
/// </summary>
public sealed class SchemaReviewSarifTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Review_sarif_log_is_valid_against_the_official_sarif_2_1_0_schema()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", SchemaReviewSchema.Sql);
        await _workspace.AddSettingAsync("dev", """
            review:
                  suppress:
                    - {rule: table-without-key, object: public.page_views, owner: ana, reason: append-only log, expires: 2027-12-31}
            """);

        var result = await _workspace.RunAsync("review", "-e", "dev", "--sarif", "-");

        Assert.True(result.ExitCode == 0, result.ToString());
        var log = JsonNode.Parse(result.Out)!;
        var validation = SarifSchema.Evaluate(log);
        Assert.True(validation.IsValid, "the SARIF log does not match the SARIF 2.1.0 schema:\n" + SarifSchema.Errors(validation) + "\n--- log\n" + result.Out);

        // What the schema cannot say: the indexes and ids agree, and the findings are the ones this database has.
        var run = log["runs"]!.AsArray().Single()!;
        var driver = run["tool"]!["driver"]!;
        Assert.Equal("Backstop", (string?)driver["name"]);
        var rules = driver["rules"]!.AsArray();
        Assert.Equal(rules.Count, rules.Select(r => (string?)r!["id"]).Distinct().Count());
        Assert.All(rules, r => Assert.False(string.IsNullOrEmpty((string?)r!["shortDescription"]!["text"])));
        var results = run["results"]!.AsArray();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.Equal((string?)r!["ruleId"], (string?)rules[(int)r["ruleIndex"]!]!["id"]));
        var suppressed = results.Single(r => r!["suppressions"] is not null)!;
        Assert.Equal("table-without-key", (string?)suppressed["ruleId"]);
        var suppression = suppressed["suppressions"]!.AsArray().Single()!;
        Assert.Equal("external", (string?)suppression["kind"]);
        Assert.Equal("accepted", (string?)suppression["status"]);
        Assert.Contains(results, r => (string?)r!["ruleId"] == "cascade-blast-radius" && (string?)r["level"] == "error");

        // The same log with a level SARIF does not define, or a result without its message, is rejected.
        var badLevel = log.DeepClone();
        badLevel["runs"]![0]!["results"]![0]!["level"] = "severe";
        var rejected = SarifSchema.Evaluate(badLevel);
        Assert.False(rejected.IsValid);
        Assert.Contains("/runs/0/results/0/level", SarifSchema.Errors(rejected), StringComparison.Ordinal);

        var noMessage = log.DeepClone();
        noMessage["runs"]![0]!["results"]![0]!.AsObject().Remove("message");
        rejected = SarifSchema.Evaluate(noMessage);
        Assert.False(rejected.IsValid);
        Assert.Contains("\"message\"", SarifSchema.Errors(rejected), StringComparison.Ordinal);
    }
}
