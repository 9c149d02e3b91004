using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Backstop.Core.Audit;

/// <summary>
/// The canonical form of an <see cref="AuditEntry"/>: UTF-8 JSON, no whitespace, every property always present and in
/// this order — seq, prev, at, actor, from, action, environment, object, outcome, detail — absent values as
/// <c>null</c>, detail's keys sorted by ordinal comparison, the time as <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>, numbers in
/// invariant digits. One entry has exactly one canonical text, so the verifier can re-encode what it read and compare.
/// </summary>
internal static class AuditEntryJson
{
    private static readonly string[] Properties = ["seq", "prev", "at", "actor", "from", "action", "environment", "object", "outcome", "detail"];

    /// <summary>Only what JSON requires is escaped (quotes, backslashes, control characters), so text stays readable.</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static DateTimeOffset Microseconds(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
    }

    public static string Write(AuditEntry entry)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("seq", entry.Seq);
            writer.WriteString("prev", entry.Previous);
            writer.WriteString("at", AuditTimeJsonConverter.Text(entry.At));
            writer.WriteString("actor", entry.Actor);
            WriteNullable(writer, "from", entry.From);
            writer.WriteString("action", entry.Action);
            WriteNullable(writer, "environment", entry.Environment);
            WriteNullable(writer, "object", entry.Object);
            writer.WriteString("outcome", entry.Outcome);
            if (entry.Detail is null)
            {
                writer.WriteNull("detail");
            }
            else
            {
                writer.WriteStartObject("detail");
                foreach (var (key, value) in entry.Detail.OrderBy(d => d.Key, StringComparer.Ordinal))
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <exception cref="FormatException">not an entry: not JSON, or a property missing, misplaced or of the wrong type.</exception>
    public static AuditEntry Read(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("an audit entry is a JSON object");
            }

            var names = root.EnumerateObject().Select(p => p.Name).ToArray();
            if (!names.SequenceEqual(Properties, StringComparer.Ordinal))
            {
                throw new FormatException($"an audit entry has the properties {string.Join(", ", Properties)} in that order, not {string.Join(", ", names)}");
            }

            var at = Required(root, "at");
            return new AuditEntry
            {
                Seq = root.GetProperty("seq").GetInt64(),
                Previous = Required(root, "prev"),
                At = AuditTimeJsonConverter.Parse(at),
                Actor = Required(root, "actor"),
                From = root.GetProperty("from").GetString(),
                Action = Required(root, "action"),
                Environment = root.GetProperty("environment").GetString(),
                Object = root.GetProperty("object").GetString(),
                Outcome = Required(root, "outcome"),
                Detail = root.GetProperty("detail") is { ValueKind: JsonValueKind.Object } detail
                    ? new SortedDictionary<string, string>(detail.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal), StringComparer.Ordinal)
                    : null,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"not an audit entry: {e.Message}", e);
        }
    }

    private static string Required(JsonElement root, string name) =>
        root.GetProperty(name) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : throw new FormatException($"an audit entry's {name} is a string");

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
