using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backstop.Core.Reports;

/// <summary>How reports are written and read as JSON, by the CLI's --json and by the server's API alike.</summary>
public static class ReportJson
{
    public static JsonSerializerOptions Options { get; } = Create(indented: true);

    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented) => new(JsonSerializerDefaults.Web)
    {
        WriteIndented = indented,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
