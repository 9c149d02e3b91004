using Npgsql;

namespace Backstop.Core.Guard;

/// <summary>
/// The client's own settings that measuring a statement touches. <see cref="Preview.ImpactMeter"/> sets
/// <c>lock_timeout</c>, <c>standard_conforming_strings</c> and <c>client_encoding</c> with SET LOCAL under its
/// savepoint, and a released savepoint keeps SET LOCAL for the rest of the transaction (docs: "SET"). The guard hands
/// the meter the client's own lock_timeout, so that a guarded statement waits for locks exactly as long as the client
/// asked, and sets standard_conforming_strings back once the statement is kept. client_encoding is left: Npgsql only
/// works in UTF8, which is what the meter sets.
/// </summary>
internal sealed record ClientSettings(string StandardConformingStrings, TimeSpan LockTimeout)
{
    /// <summary>pg_settings gives lock_timeout in its unit, milliseconds; 0 means no limit, which the meter passes on.</summary>
    private const string ReadSql =
        "SELECT current_setting('standard_conforming_strings'), (SELECT setting::bigint FROM pg_settings WHERE name = 'lock_timeout')";

    public static NpgsqlBatchCommand Read() => new(ReadSql);

    public static async Task<ClientSettings> ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken);
        return new ClientSettings(reader.GetString(0), TimeSpan.FromMilliseconds(reader.GetInt64(1)));
    }

    /// <summary>Sets the client's value back for the rest of its transaction (its session value returns at the end of it).</summary>
    public NpgsqlBatchCommand Restore() => new("SELECT set_config('standard_conforming_strings', $1, true)")
    {
        Parameters = { new NpgsqlParameter { Value = StandardConformingStrings } },
    };
}
