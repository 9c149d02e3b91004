using System.Numerics;

namespace Backstop.Recovery.Repair;

/// <summary>
/// Compares a table on two or three sides and decides what to repair (see <see cref="RepairPlan"/>). First a hash per
/// bucket of keys on every side at once (one scan each, in the servers); then, only for the buckets where source and
/// target differ, the rows, streamed with COPY (one more scan each); never a round trip per row.
/// </summary>
public static class RepairPlanner
{
    /// <summary>Buckets for a table of <paramref name="rows"/> rows: about a thousand rows each, between 2^6 and 2^16 of them.</summary>
    public static int BucketBits(long rows) => Math.Clamp(64 - BitOperations.LeadingZeroCount((ulong)Math.Max(rows / 1000, 1)), 6, 16);

    private static bool Differs(Dictionary<int, (long Rows, string Sum)> one, Dictionary<int, (long Rows, string Sum)> other, int bucket) =>
        !one.TryGetValue(bucket, out var x) || !other.TryGetValue(bucket, out var y) || x != y;

    /// <summary>
    /// How to bucket the rows of every side: a single integer key goes in ranges of about a thousand keys over the
    /// smallest to largest key of all sides (so a mistake on a range of keys touches only those buckets), any other key by
    /// a hash of it.
    /// </summary>
    public static async Task<Bucketing> ChooseBucketingAsync(RepairTable table, long estimatedRows, IReadOnlyList<TableSnapshot> sides, CancellationToken cancellationToken)
    {
        var bits = BucketBits(estimatedRows);
        if (table.Key.Count != 1 || table.Key[0].Type is not ("bigint" or "integer" or "smallint"))
        {
            return Bucketing.ByHash(table, bits);
        }

        var ranges = (await Task.WhenAll(sides.Select(side => side.KeyRangeAsync(cancellationToken)))).Where(r => r is not null).Select(r => r!.Value).ToList();
        if (ranges.Count == 0)
        {
            return Bucketing.ByHash(table, bits);
        }

        var low = ranges.Min(r => r.Low);
        var high = ranges.Max(r => r.High);
        var span = (decimal)high - low + 1;
        if (span > long.MaxValue / 2)
        {
            return Bucketing.ByHash(table, bits);
        }

        var step = (long)Math.Max(1, Math.Ceiling(span / (1L << bits)));
        return Bucketing.ByRange(table, low, step);
    }

    public static async Task<RepairPlan> PlanAsync(
        RepairTable table, TableSnapshot target, TableSnapshot source, TableSnapshot? after, RepairOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Report("comparing bucket hashes");
        var targetBuckets = target.BucketsAsync(cancellationToken);
        var sourceBuckets = source.BucketsAsync(cancellationToken);
        var afterBuckets = after?.BucketsAsync(cancellationToken);
        var t = await targetBuckets;
        var s = await sourceBuckets;

        var plan = new RepairPlan
        {
            Table = table,
            ThreeWay = after is not null,
            SourceRows = s.Values.Sum(b => b.Rows),
            TargetRows = t.Values.Sum(b => b.Rows),
            Buckets = s.Keys.Union(t.Keys).Count(),
        };
        // Rows to look at: where source and target differ, and (three-way) where the mistake changed something, since a
        // row it changed and that was set again since is a conflict even when it now equals the source.
        var a = afterBuckets is null ? null : await afterBuckets;
        var every = s.Keys.Union(t.Keys).Union(a?.Keys ?? Enumerable.Empty<int>()).ToList();
        var differing = every.Where(b => Differs(s, t, b) || (a is not null && Differs(s, a, b))).ToList();
        plan.DifferingBuckets = differing.Count;
        if (differing.Count == 0)
        {
            return plan;
        }

        progress?.Report($"fetching the rows of {differing.Count} of {plan.Buckets} buckets that differ");
        var targetRows = target.RowsAsync(differing, every.Count, table.Columns, cancellationToken);
        var sourceRows = source.RowsAsync(differing, every.Count, table.Columns, cancellationToken);
        var afterRows = after?.RowsAsync(differing, every.Count, table.Columns, cancellationToken);
        // Every read finishes (or fails) before its connection can be let go: a failure on one side must not leave another
        // side still reading while the command closes its connection.
        await Task.WhenAll(new[] { targetRows, sourceRows, afterRows }.OfType<Task>());
        var tr = await targetRows;
        var sr = await sourceRows;
        var ar = afterRows is null ? null : await afterRows;

        var missing = new List<string>();
        foreach (var key in sr.Keys.Union(tr.Keys).Union(ar?.Keys ?? Enumerable.Empty<string>()))
        {
            var sv = sr.GetValueOrDefault(key);
            var tv = tr.GetValueOrDefault(key);
            var av = ar?.GetValueOrDefault(key);
            var row = new RepairRow(key, sv, tv, av);
            if (ar is not null)
            {
                if (sv == av)
                {
                    // The mistake did not touch this row; if it differs, it changed afterwards, legitimately.
                    plan.LaterWrites += sv == tv ? 0 : 1;
                    continue;
                }

                if (tv != av && !options.OverwriteConflicts)
                {
                    // The mistake changed it, and it was written again since.
                    plan.Conflicts.Add(row);
                    continue;
                }
            }

            if (sv == tv)
            {
                continue;
            }

            if (sv is not null && tv is not null)
            {
                plan.Updates.Add(row);
            }
            else if (sv is not null)
            {
                if (options.RestoreMissing)
                {
                    missing.Add(key);
                }
                else
                {
                    plan.MissingLeft++;
                }
            }
            else if (options.DeleteExtra)
            {
                plan.Deletes.Add(row);
            }
            else
            {
                plan.ExtraLeft++;
            }
        }

        if (ar is not null && plan.IsEmpty && plan.Conflicts.Count == 0 && plan.LaterWrites > 0)
        {
            plan.AfterShowsNoMistake = true;
        }

        if (missing.Count > 0)
        {
            progress?.Report($"fetching {missing.Count} missing rows in full");
            var keyNames = table.Key.Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
            var full = await source.RowsAsync(differing, every.Count, table.Insertable.Where(c => !keyNames.Contains(c.Name)).ToList(), cancellationToken);
            foreach (var key in missing)
            {
                plan.Inserts[key] = full[key];
            }
        }

        return plan;
    }
}
