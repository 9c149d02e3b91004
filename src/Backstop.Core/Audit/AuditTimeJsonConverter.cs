using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backstop.Core.Audit;

/// <summary>
/// Times of the audit log in JSON as the canonical entries and the signed checkpoint text write them,
/// <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>, so the text a signature covers can be rebuilt from a checkpoint's JSON as is.
/// </summary>
internal sealed class AuditTimeJsonConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static string Text(DateTimeOffset at) => at.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return Parse(reader.GetString() ?? "");
        }
        catch (FormatException e)
        {
            throw new JsonException($"a time of the audit log is written {Format}", e);
        }
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(Text(value));
}
