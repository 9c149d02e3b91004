namespace Backstop.Core.Preview;

/// <summary>
/// The tables the catalog comparison watches at one moment: the database's own, one by one, and per schema of
/// Backstop's own a fingerprint of its tables (their oids and relfilenodes), which a DROP, TRUNCATE or rewrite of any
/// of them changes.
/// </summary>
internal sealed record WatchedTables(Dictionary<uint, WatchedTable> Tables, IReadOnlyDictionary<string, WatchedTables.OwnSchema> OwnSchemas)
{
    /// <param name="MaxOid">the highest oid of its tables (0 when it has none): later ones are not compared.</param>
    public sealed record OwnSchema(uint MaxOid, string Fingerprint);

    /// <summary>A schema of Backstop's that is gone, or whose tables are not as they were in <paramref name="before"/>; null when none.</summary>
    public string? OwnSchemaChangedSince(WatchedTables before) =>
        before.OwnSchemas.Keys.Order(StringComparer.Ordinal)
            .FirstOrDefault(schema => OwnSchemas.GetValueOrDefault(schema)?.Fingerprint != before.OwnSchemas[schema].Fingerprint);
}
