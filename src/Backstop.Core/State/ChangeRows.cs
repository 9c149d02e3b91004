using System.Data.Common;
using System.Text;
using System.Text.Json;
using Backstop.Core.Policies;
using Backstop.Core.Preview;

namespace Backstop.Core.State;

/// <summary>
/// A change as a row of <c>changes</c>, the same in every store: the values its columns take, and the record read
/// back from them. Each store keeps <c>started_at</c> and <c>change_uuid</c> in its own types.
/// </summary>
internal static class ChangeRows
{
    /// <summary>How much of the script a list reads: enough for a first line.</summary>
    public const int ListedCharacters = 200;

    /// <summary>What <see cref="Read"/> expects, in this order, after which each store reads what it keeps its own way.</summary>
    public const string Columns = """
        c.id, c.environment, c.system_identifier, c.database, c.host, c.port, c.script_sha256, c.verdict, c.reasons, c.impact,
        c.os_user, c.duration_ms, c.outcome, c.message, c.undo_of, s.size_bytes
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The first <see cref="StateSchema.HeadCharacters"/> UTF-16 code units of a script, never ending inside a surrogate pair.</summary>
    public static string Head(string script)
    {
        const int characters = StateSchema.HeadCharacters;
        if (script.Length <= characters)
        {
            return script;
        }

        return script[..(char.IsHighSurrogate(script[characters - 1]) ? characters - 1 : characters)];
    }

    /// <summary>The values of the columns a change's outcome writes (on insert and on every update).</summary>
    public static IEnumerable<(string Column, object Value)> OutcomeValues(ChangeRecord change) =>
    [
        ("verdict", StoredEnum.Name(change.Verdict, Verdict.Unknown)),
        ("reasons", JsonSerializer.Serialize(change.Reasons, Json)),
        ("impact", JsonSerializer.Serialize(change.Impact, Json)),
        ("duration_ms", change.Duration is { } d ? (long)d.TotalMilliseconds : DBNull.Value),
        ("outcome", StoredEnum.Name(change.Outcome, ChangeOutcome.Unknown)),
        ("message", (object?)change.Message ?? DBNull.Value),
    ];

    /// <summary>The values of the columns that identify a change, written once when it is added.</summary>
    public static IEnumerable<(string Column, object Value)> IdentityValues(ChangeRecord change) =>
    [
        ("environment", change.Environment),
        ("system_identifier", change.SystemIdentifier),
        ("database", change.Database),
        ("host", change.Host),
        ("port", change.Port),
        ("script_sha256", change.ScriptSha256),
        ("os_user", change.OsUser),
        ("undo_of", (object?)change.UndoOf ?? DBNull.Value),
    ];

    /// <summary>Copies a script as the store streams it, 64 Ki characters at a time, so a script of any size costs no more memory.</summary>
    public static async Task CopyScriptAsync(TextReader script, TextWriter destination, CancellationToken cancellationToken)
    {
        var buffer = new char[1 << 16];
        int read;
        while ((read = await script.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    /// <summary>A row of <see cref="Columns"/>, with the part of the script read and what the store read its own way.</summary>
    public static ChangeRecord Read(DbDataReader reader, string script, DateTimeOffset startedAt, Guid changeUuid)
    {
        var sizeBytes = reader.GetInt64(15);
        return new ChangeRecord
        {
            Id = reader.GetInt64(0),
            Environment = reader.GetString(1),
            SystemIdentifier = reader.GetString(2),
            Database = reader.GetString(3),
            Host = reader.GetString(4),
            Port = reader.GetInt32(5),
            ScriptSha256 = reader.GetString(6),
            Verdict = StoredEnum.Parse(reader.GetString(7), Verdict.Unknown),
            Reasons = JsonSerializer.Deserialize<List<string>>(reader.GetString(8), Json) ?? [],
            Impact = JsonSerializer.Deserialize<List<StatementImpact>>(reader.GetString(9), Json) ?? [],
            OsUser = reader.GetString(10),
            StartedAt = startedAt,
            Duration = reader.IsDBNull(11) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(11)),
            Outcome = StoredEnum.Parse(reader.GetString(12), ChangeOutcome.Unknown),
            Message = reader.IsDBNull(13) ? null : reader.GetString(13),
            ChangeUuid = changeUuid,
            UndoOf = reader.IsDBNull(14) ? null : reader.GetInt64(14),
            Script = script,
            ScriptBytes = sizeBytes,
            ScriptTruncated = Encoding.UTF8.GetByteCount(script) < sizeBytes,
        };
    }
}
