using System.Text.Json.Nodes;
using Json.Schema;

namespace Backstop.Cli.Tests;

/// <summary>
/// The official SARIF 2.1.0 JSON schema (OASIS, errata 01; Resources/README.md says where the copy came from), as a
/// validator. The schema declares draft-04, which JsonSchema.Net does not implement; the only draft-04 keyword it
/// uses is the root "id", and every other keyword it uses (type, enum, properties, additionalProperties, required,
/// anyOf, oneOf, minimum, pattern, format, local $ref) means the same in draft 7, so it is evaluated as draft 7. The
/// draft-04 meta-schema URI is answered locally by the draft-07 meta-schema, and any other fetch fails the test: no
/// schema is ever downloaded.
/// </summary>
internal static class SarifSchema
{
    private const string Draft04MetaSchema = "http://json-schema.org/draft-04/schema";

    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Resources", "sarif-schema-2.1.0.json"))));

    public static EvaluationResults Evaluate(JsonNode? log)
    {
        var options = new EvaluationOptions
        {
            EvaluateAs = SpecVersion.Draft7,
            OutputFormat = OutputFormat.List,
            // date-time, uri and uri-reference are checked, not only annotated.
            RequireFormatValidation = true,
        };
        options.SchemaRegistry.Fetch = uri => throw new InvalidOperationException($"the SARIF schema tried to fetch {uri}; nothing is downloaded in tests");
        options.SchemaRegistry.Register(new Uri(Draft04MetaSchema), MetaSchemas.Draft7);
        return Schema.Value.Evaluate(log, options);
    }

    /// <summary>Every error the validator reported, one per line: where in the log, which schema path, what.</summary>
    public static string Errors(EvaluationResults results) => string.Join('\n',
        results.Details
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}")));
}
