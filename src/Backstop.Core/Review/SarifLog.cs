using System.Text.Json.Nodes;

namespace Backstop.Core.Review;

/// <summary>
/// A review as a SARIF 2.1.0 log (OASIS "Static Analysis Results Interchange Format" 2.1.0): one run whose driver lists
/// every rule, one result per finding. Findings name database objects, not files, so each result's location is a
/// logical location (§3.33); an actively suppressed finding carries an external, accepted suppression (§3.35).
/// </summary>
public static class SarifLog
{
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";

    public static JsonObject Create(ReviewReport report, string toolVersion, DateTimeOffset now)
    {
        var rules = ReviewRules.All;
        var results = new JsonArray();
        foreach (var finding in report.Findings)
        {
            var index = rules.ToList().FindIndex(r => r.Id == finding.Rule);
            var properties = new JsonObject { ["severity"] = Name(finding.Severity) };
            if (finding.Fix is not null)
            {
                properties["fix"] = finding.Fix;
            }

            if (finding.Cascade is { } cascade)
            {
                properties["rowsWorst"] = Math.Round(cascade.RowsWorst);
                properties["rowsAverage"] = Math.Round(cascade.RowsAverage);
                properties["estimated"] = true;
                properties["reaches"] = new JsonArray(cascade.Steps.Select(s => (JsonNode)JsonValue.Create(s.Table)).ToArray());
            }

            if (finding.Suppression is { } expired && !finding.Suppressed)
            {
                properties["suppressionExpired"] = expired.Expires.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            }

            var result = new JsonObject
            {
                ["ruleId"] = finding.Rule,
                ["ruleIndex"] = index,
                ["level"] = Level(finding.Severity),
                ["message"] = new JsonObject { ["text"] = finding.Why + (finding.Fix is null ? "" : " Fix: " + finding.Fix) },
                ["locations"] = new JsonArray(new JsonObject
                {
                    ["logicalLocations"] = new JsonArray(new JsonObject { ["fullyQualifiedName"] = report.Environment + ":" + finding.Object, ["kind"] = "resource" }),
                }),
                ["properties"] = properties,
            };
            if (finding.Suppressed && finding.Suppression is { } suppression)
            {
                result["suppressions"] = new JsonArray(new JsonObject
                {
                    ["kind"] = "external",
                    ["status"] = "accepted",
                    ["justification"] = $"{suppression.Reason} (owner {suppression.Owner}, until {suppression.Expires:yyyy-MM-dd})",
                });
            }

            results.Add(result);
        }

        return new JsonObject
        {
            ["$schema"] = SchemaUri,
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject
                {
                    ["driver"] = new JsonObject
                    {
                        ["name"] = "Backstop",
                        ["version"] = toolVersion,
                        ["rules"] = new JsonArray(rules.Select(r => (JsonNode)new JsonObject
                        {
                            ["id"] = r.Id,
                            ["name"] = r.Title,
                            ["shortDescription"] = new JsonObject { ["text"] = r.Title },
                            ["fullDescription"] = new JsonObject { ["text"] = r.Description },
                            ["defaultConfiguration"] = new JsonObject { ["level"] = Level(r.DefaultSeverity) },
                            ["properties"] = new JsonObject { ["severity"] = Name(r.DefaultSeverity) },
                        }).ToArray()),
                    },
                },
                ["automationDetails"] = new JsonObject { ["id"] = "backstop-review/" + report.Environment + "/" + now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) },
                ["results"] = results,
            }),
        };
    }

    /// <summary>SARIF's levels (§3.27.10): critical and high are errors, medium a warning, low and info notes.</summary>
    public static string Level(ReviewSeverity severity) => severity switch
    {
        ReviewSeverity.Critical or ReviewSeverity.High => "error",
        ReviewSeverity.Medium => "warning",
        _ => "note",
    };

    public static string Name(ReviewSeverity severity) => severity.ToString().ToLowerInvariant();
}
