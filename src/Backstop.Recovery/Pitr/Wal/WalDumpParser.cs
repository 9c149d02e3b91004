using System.Globalization;
using System.Text.RegularExpressions;
using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// Reads pg_waldump's text output (PostgreSQL 15: pg_waldump.c XLogDumpDisplayRecord, rmgrdesc/*.c). A record line is
/// <c>rmgr: Heap len (rec/tot): 61/61, tx: 726, lsn: 0/019243D0, prev 0/01923D20, desc: INSERT off 1 flags 0x00,
/// blkref #0: rel 1663/16384/16385 blk 0</c>; anything else (pg_waldump's notes, statistics) is not a record. Times in
/// commit records are printed in pg_waldump's own time zone, so it runs with <c>TZ=UTC</c>.
/// </summary>
public static partial class WalDumpParser
{
    /// <summary>Reads one line; false for a line that is not a record.</summary>
    public static bool TryParse(string line, out WalRecord record)
    {
        record = null!;
        var match = RecordLine().Match(line);
        if (!match.Success
            || !uint.TryParse(match.Groups["tx"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var transaction)
            || !NpgsqlLogSequenceNumber.TryParse(match.Groups["lsn"].Value, out var lsn))
        {
            return false;
        }

        // Block references are appended after the description, each starting ", blkref #N: ".
        var text = match.Groups["desc"].Value;
        var blocks = new List<WalBlockReference>();
        var first = text.IndexOf(", blkref #", StringComparison.Ordinal);
        if (first >= 0)
        {
            foreach (Match block in BlockReference().Matches(text, first))
            {
                var relation = new RelFileLocator(Oid(block.Groups["spc"]), Oid(block.Groups["db"]), Oid(block.Groups["rel"]));
                var fork = block.Groups["fork"].Success ? block.Groups["fork"].Value : "main";
                blocks.Add(new WalBlockReference(relation, fork, Oid(block.Groups["blk"]), block.Groups["fpw"].Success));
            }

            text = text[..first];
        }

        record = new WalRecord(match.Groups["rmgr"].Value, transaction, lsn, text.TrimEnd(), blocks);
        return true;
    }

    /// <summary>
    /// A commit or abort (<c>COMMIT</c>, <c>ABORT</c>, <c>COMMIT_PREPARED</c>, <c>ABORT_PREPARED</c> of the
    /// <c>Transaction</c> resource manager): <c>COMMIT 2026-12-07 02:08:52.355847 UTC; rels: base/16384/16392; subxacts: 727 728; …</c>.
    /// </summary>
    public static bool TryParseEnd(WalRecord record, out WalTransactionEnd end)
    {
        end = null!;
        if (record.ResourceManager != "Transaction" || record.Type is not ("COMMIT" or "ABORT" or "COMMIT_PREPARED" or "ABORT_PREPARED"))
        {
            return false;
        }

        var sections = record.Description[record.Type.Length..].Split("; ", StringSplitOptions.TrimEntries);
        var head = sections[0];
        var transaction = record.TransactionId;
        if (record.Type.EndsWith("_PREPARED", StringComparison.Ordinal))
        {
            // "COMMIT_PREPARED 735: 2026-…": the prepared transaction, not the one that ran COMMIT PREPARED.
            var colon = head.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0 || !uint.TryParse(head.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out transaction))
            {
                return false;
            }

            head = head[(colon + 2)..];
        }

        if (!TryParseTime(head, out var time))
        {
            return false;
        }

        var subtransactions = new List<uint>();
        var dropped = new List<RelFileLocator>();
        foreach (var section in sections.Skip(1))
        {
            if (section.StartsWith("subxacts:", StringComparison.Ordinal))
            {
                subtransactions.AddRange(Words(section["subxacts:".Length..]).Select(w => uint.Parse(w, NumberStyles.None, CultureInfo.InvariantCulture)));
            }
            else if (section.StartsWith("rels:", StringComparison.Ordinal))
            {
                foreach (var path in Words(section["rels:".Length..]))
                {
                    if (RelFileLocator.TryParsePath(path, out var locator))
                    {
                        dropped.Add(locator);
                    }
                }
            }
        }

        end = new WalTransactionEnd
        {
            TransactionId = transaction,
            Committed = record.Type.StartsWith("COMMIT", StringComparison.Ordinal),
            Time = time,
            Record = record,
            Subtransactions = subtransactions,
            DroppedRelations = dropped,
        };
        return true;
    }

    /// <summary>
    /// The next transaction id a snapshot of running transactions saw (<c>Standby RUNNING_XACTS nextXid 733
    /// latestCompletedXid 731 oldestRunningXid 732; …</c>): no transaction with an id at or above it had been assigned
    /// when the snapshot was taken, shortly before the record was written.
    /// </summary>
    public static bool TryParseNextXid(WalRecord record, out uint nextXid)
    {
        nextXid = 0;
        if (record.ResourceManager != "Standby" || record.Type != "RUNNING_XACTS")
        {
            return false;
        }

        var match = NextXid().Match(record.Description);
        return match.Success && uint.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out nextXid);
    }

    /// <summary><c>Database DROP dir 1663/16384 16400/16384</c>: the database and each tablespace it had files in (dbasedesc.c).</summary>
    public static bool TryParseDatabaseDrop(WalRecord record, out uint database, out IReadOnlyList<uint> tablespaces)
    {
        database = 0;
        tablespaces = [];
        if (record.ResourceManager != "Database" || record.Type != "DROP")
        {
            return false;
        }

        var found = new List<uint>();
        foreach (Match pair in TablespaceDatabase().Matches(record.Description))
        {
            found.Add(Oid(pair.Groups[1]));
            database = Oid(pair.Groups[2]);
        }

        tablespaces = found;
        return found.Count > 0;
    }

    /// <summary>The line pointer a heap record acts on (<c>off 4</c>), for records that name one (INPLACE, DELETE, LOCK).</summary>
    public static int? Offset(WalRecord record)
    {
        var match = OffsetWord().Match(record.Description);
        return match.Success ? int.Parse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>
    /// pg_waldump's compat.c prints <c>%Y-%m-%d %H:%M:%S.%06d %Z</c> in its local time; run under TZ=UTC the zone is UTC.
    /// </summary>
    private static bool TryParseTime(string text, out DateTimeOffset time)
    {
        time = default;
        var space = text.LastIndexOf(' ');
        if (space < 0 || text[(space + 1)..] is not ("UTC" or "GMT"))
        {
            return false;
        }

        if (!DateTime.TryParseExact(text[..space], "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var utc))
        {
            return false;
        }

        time = new DateTimeOffset(utc, TimeSpan.Zero);
        return true;
    }

    private static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static uint Oid(Group group) => uint.Parse(group.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^rmgr: (?<rmgr>\S+)\s+len \(rec/tot\):\s*\d+/\s*\d+, tx:\s*(?<tx>\d+), lsn: (?<lsn>[0-9A-F]+/[0-9A-F]+), prev [0-9A-F]+/[0-9A-F]+, desc: (?<desc>.*)$")]
    private static partial Regex RecordLine();

    [GeneratedRegex(@"blkref #\d+: rel (?<spc>\d+)/(?<db>\d+)/(?<rel>\d+)(?: fork (?<fork>\w+))? blk (?<blk>\d+)(?<fpw> FPW)?")]
    private static partial Regex BlockReference();

    [GeneratedRegex(@"\bnextXid (\d+)")]
    private static partial Regex NextXid();

    [GeneratedRegex(@"\b(\d+)/(\d+)\b")]
    private static partial Regex TablespaceDatabase();

    [GeneratedRegex(@"\boff (\d+)\b")]
    private static partial Regex OffsetWord();
}
