using System.Text.Json;

namespace Backstop.Cli.Tests;

/// <summary>
/// <c>backstop review --sarif</c> writes a SARIF 2.1.0 log. The official JSON schema is not vendored here (it is 110 KB and
/// no copy was at hand), so this test checks, object by object, what that schema requires of what Backstop emits:
/// sarifLog {version "2.1.0", runs}, run {tool}, tool {driver}, toolComponent {name}, reportingDescriptor {id},
/// result {message {text}}, level in none|note|warning|error, ruleIndex ≥ -1 and naming the result's rule,
/// suppression {kind in inSource|external, status in accepted|underReview|rejected}, and no property the schema does not
/// define on those objects (each has additionalProperties: false).
/// </summary>
public sealed class SchemaReviewSarifTests : IDisposable
{
    private static readonly string[] LogKeys = ["$schema", "version", "runs", "inlineExternalProperties", "properties"];
    private static readonly string[] RunKeys = ["tool", "invocations", "conversion", "language", "versionControlProvenance", "originalUriBaseIds", "artifacts", "logicalLocations", "graphs", "results", "automationDetails", "runAggregates", "baselineGuid", "redactionTokens", "defaultEncoding", "defaultSourceLanguage", "newlineSequences", "columnKind", "externalPropertyFileReferences", "threadFlowLocations", "taxonomies", "addresses", "translations", "policies", "webRequests", "webResponses", "specialLocations", "properties"];
    private static readonly string[] DriverKeys = ["guid", "name", "organization", "product", "productSuite", "shortDescription", "fullDescription", "fullName", "version", "semanticVersion", "dottedQuadFileVersion", "releaseDateUtc", "downloadUri", "informationUri", "globalMessageStrings", "notifications", "rules", "taxa", "locations", "language", "contents", "isComprehensive", "localizedDataSemanticVersion", "minimumRequiredLocalizedDataSemanticVersion", "associatedComponent", "translationMetadata", "supportedTaxonomies", "properties"];
    private static readonly string[] RuleKeys = ["id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames", "shortDescription", "fullDescription", "messageStrings", "defaultConfiguration", "helpUri", "help", "relationships", "properties"];
    private static readonly string[] ResultKeys = ["ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget", "locations", "guid", "correlationGuid", "occurrenceCount", "partialFingerprints", "fingerprints", "stacks", "codeFlows", "graphs", "graphTraversals", "relatedLocations", "suppressions", "baselineState", "rank", "attachments", "hostedViewerUri", "workItemUris", "provenance", "fixes", "taxa", "webRequest", "webResponse", "properties"];
    private static readonly string[] LogicalLocationKeys = ["name", "index", "fullyQualifiedName", "decoratedName", "parentIndex", "kind", "properties"];
    private static readonly string[] Levels = ["none", "note", "warning", "error"];

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Review_sarif_log_has_what_the_sarif_2_1_0_schema_requires()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", SchemaReviewSchema.Sql);
        await _workspace.AddSettingAsync("dev", """
            review:
                  suppress:
                    - {rule: table-without-key, object: public.page_views, owner: ana, reason: append-only log, expires: 2027-12-31}
            """);

        var result = await _workspace.RunAsync("review", "-e", "dev", "--sarif", "review.sarif");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var log = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_workspace.Directory, "review.sarif")));
        var root = log.RootElement;
        OnlyKeys(root, LogKeys);
        Assert.Equal("2.1.0", root.GetProperty("version").GetString());
        var run = root.GetProperty("runs").EnumerateArray().Single();
        OnlyKeys(run, RunKeys);
        var driver = run.GetProperty("tool").GetProperty("driver");
        OnlyKeys(driver, DriverKeys);
        Assert.Equal("Backstop", driver.GetProperty("name").GetString());
        var rules = driver.GetProperty("rules").EnumerateArray().ToList();
        foreach (var rule in rules)
        {
            OnlyKeys(rule, RuleKeys);
            Assert.Contains(rule.GetProperty("defaultConfiguration").GetProperty("level").GetString(), Levels);
            Assert.False(string.IsNullOrEmpty(rule.GetProperty("shortDescription").GetProperty("text").GetString()));
        }

        Assert.Equal(rules.Count, rules.Select(r => r.GetProperty("id").GetString()).Distinct().Count());
        var results = run.GetProperty("results").EnumerateArray().ToList();
        Assert.NotEmpty(results);
        foreach (var item in results)
        {
            OnlyKeys(item, ResultKeys);
            Assert.False(string.IsNullOrEmpty(item.GetProperty("message").GetProperty("text").GetString()));
            Assert.Contains(item.GetProperty("level").GetString(), Levels);
            Assert.Equal(item.GetProperty("ruleId").GetString(), rules[item.GetProperty("ruleIndex").GetInt32()].GetProperty("id").GetString());
            foreach (var location in item.GetProperty("locations").EnumerateArray())
            {
                foreach (var logical in location.GetProperty("logicalLocations").EnumerateArray())
                {
                    OnlyKeys(logical, LogicalLocationKeys);
                }
            }
        }

        var suppressed = results.Single(r => r.TryGetProperty("suppressions", out _));
        Assert.Equal("table-without-key", suppressed.GetProperty("ruleId").GetString());
        var suppression = suppressed.GetProperty("suppressions").EnumerateArray().Single();
        Assert.Equal("external", suppression.GetProperty("kind").GetString());
        Assert.Equal("accepted", suppression.GetProperty("status").GetString());
        Assert.Contains(results, r => r.GetProperty("ruleId").GetString() == "cascade-blast-radius" && r.GetProperty("level").GetString() == "error");
    }

    private static void OnlyKeys(JsonElement element, string[] allowed)
    {
        Assert.Equal(JsonValueKind.Object, element.ValueKind);
        foreach (var property in element.EnumerateObject())
        {
            Assert.True(allowed.Contains(property.Name), $"'{property.Name}' is not a property the SARIF 2.1.0 schema allows here");
        }
    }
}
