using System.Globalization;
using System.Text.RegularExpressions;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Tools;

namespace Backstop.Recovery.Drills;

/// <summary>One failed check of a drill: which check, on which file or table, and what was found.</summary>
public sealed record DrillFailure(string Check, string Object, string Message)
{
    public override string ToString() => $"{Check} check failed for {Object}: {Message}";
}

/// <summary>The checks a restore drill runs on a restored database.</summary>
public static partial class DrillChecks
{
    /// <summary>Compares what was recorded at backup time with what the restored database holds.</summary>
    public static IReadOnlyList<DrillFailure> Compare(DatabaseFingerprint expected, DatabaseFingerprint actual)
    {
        var failures = new List<DrillFailure>();
        var restored = actual.Tables.ToDictionary(t => t.QualifiedName, StringComparer.Ordinal);
        foreach (var table in expected.Tables)
        {
            if (!restored.TryGetValue(table.QualifiedName, out var got))
            {
                failures.Add(new("rows", table.QualifiedName, "the table is missing from the restored database"));
            }
            else if (got.Rows != table.Rows)
            {
                failures.Add(new("rows", table.QualifiedName, $"{got.Rows.ToString("N0", CultureInfo.InvariantCulture)} rows restored, {table.Rows.ToString("N0", CultureInfo.InvariantCulture)} at backup time"));
            }
            else if (!string.Equals(got.Hash, table.Hash, StringComparison.Ordinal))
            {
                failures.Add(new("fingerprint", table.QualifiedName, "the restored rows differ from the rows at backup time (same count, different content)"));
            }
        }

        var recordedTables = expected.Tables.Select(t => t.QualifiedName).ToHashSet(StringComparer.Ordinal);
        failures.AddRange(actual.Tables.Where(t => !recordedTables.Contains(t.QualifiedName))
            .Select(t => new DrillFailure("rows", t.QualifiedName, "the restored database has a table that was not there at backup time")));

        var sequences = actual.Sequences.ToDictionary(s => s.QualifiedName, StringComparer.Ordinal);
        foreach (var sequence in expected.Sequences)
        {
            if (!sequences.TryGetValue(sequence.QualifiedName, out var got))
            {
                failures.Add(new("sequences", sequence.QualifiedName, "the sequence is missing from the restored database"));
            }
            else if (sequence.IsCalled && (!got.IsCalled || got.LastValue < sequence.LastValue))
            {
                failures.Add(new("sequences", sequence.QualifiedName, $"restored at {got.LastValue}, but it had reached {sequence.LastValue} before the backup began"));
            }
        }

        if (actual.LargeObjects != expected.LargeObjects)
        {
            failures.Add(new("large objects", "pg_largeobject", $"{actual.LargeObjects} large objects restored, {expected.LargeObjects} at backup time"));
        }
        else if (!string.Equals(actual.LargeObjectsHash, expected.LargeObjectsHash, StringComparison.Ordinal))
        {
            failures.Add(new("large objects", "pg_largeobject", "the restored large objects differ from those at backup time"));
        }

        foreach (var (kind, count) in expected.Objects)
        {
            var got = actual.Objects.GetValueOrDefault(kind);
            if (got != count)
            {
                failures.Add(new("schema", kind, $"{got} restored, {count} at backup time"));
            }
        }

        var allowed = expected.NotValidConstraints.ToHashSet(StringComparer.Ordinal);
        failures.AddRange(actual.NotValidConstraints.Where(c => !allowed.Contains(c))
            .Select(c => new DrillFailure("constraints", c, "the constraint is not valid in the restored database")));
        return failures;
    }

    /// <summary>
    /// pg_amcheck on every table and B-tree index of the database: every heap page and tuple (verify_heapam) and every
    /// index's structure (bt_index_check), installing the amcheck extension where it is missing. <paramref name="thorough"/>
    /// adds <c>--heapallindexed --rootdescend</c>: every heap tuple looked up in every index, and every index tuple
    /// found again from the root; several times slower, and on a freshly restored database it mostly re-checks
    /// PostgreSQL's own CREATE INDEX.
    /// </summary>
    public static async Task<IReadOnlyList<DrillFailure>> AmCheckAsync(PgUrl database, int jobs, bool thorough, CancellationToken cancellationToken)
    {
        List<string> arguments = ["--install-missing", "--jobs", jobs.ToString(CultureInfo.InvariantCulture), "--no-strict-names", "--database", database.Database];
        if (thorough)
        {
            arguments.InsertRange(1, ["--heapallindexed", "--rootdescend"]);
        }

        var result = await ClientTool.RunAsync("pg_amcheck", arguments, database, cancellationToken: cancellationToken);
        if (result.Succeeded)
        {
            return [];
        }

        // pg_amcheck reports each problem as: heap table "db.schema.table", block 0, offset 3: …  /  btree index "db.schema.index": …
        var failures = new List<DrillFailure>();
        var lines = (result.Output + "\n" + result.Errors).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in lines)
        {
            var match = CorruptionLine().Match(line);
            if (match.Success)
            {
                var detail = lines.SkipWhile(l => l != line).Skip(1).FirstOrDefault() ?? line;
                failures.Add(new("amcheck", $"{match.Groups[1].Value} {match.Groups[2].Value}", detail));
            }
        }

        if (failures.Count == 0)
        {
            failures.Add(new("amcheck", database.Database, result.ErrorSummary()));
        }

        return failures;
    }

    [GeneratedRegex("^(heap table|btree index) \"([^\"]+)\"")]
    private static partial Regex CorruptionLine();
}
