using Backstop.Recovery.Pitr.Wal;
using NpgsqlTypes;

namespace Backstop.Recovery.Tests.Pitr.Wal;

/// <summary>The questions WalHistory asks of the WAL, answered from captured pg_waldump output.</summary>
public sealed class WalScanTests
{
    private static readonly RelFileLocator T = new(1663, 16384, 16385);
    private static readonly RelFileLocator UBefore = new(1663, 16384, 16392);
    private static readonly RelFileLocator UAfter = new(1663, 16384, 16395);
    private static readonly RelFileLocator W = new(1663, 16400, 16401);
    private static readonly DateTimeOffset Second52 = new(2026, 12, 7, 2, 8, 52, TimeSpan.Zero);

    [Fact]
    public void Writers_count_subtransaction_records_toward_the_transaction_whose_commit_lists_them()
    {
        var scan = Scan(new WalWritersScan(new HashSet<RelFileLocator> { T }, Second52, Second52.AddSeconds(1)), CapturedWal.SubtransactionsTruncateAndDrop);

        var writer = Assert.Single(scan.Result());
        Assert.Equal((726u, Lsn("0/19243D0"), Lsn("0/19246F8"), Lsn("0/1924730"), Second52.AddTicks(3558470), 7L), (writer.TransactionId, writer.FirstLsn, writer.LastLsn, writer.CommitLsn, writer.CommitTime, writer.Records));
        Assert.True(writer.Committed);
        Assert.Equal([727u, 728u], writer.Subtransactions);
        Assert.Equal(7, writer.RecordsByRelation[T]);
    }

    [Fact]
    public void Writers_of_a_truncated_table_include_the_truncate_by_either_file_and_say_which_aborted()
    {
        var scan = Scan(new WalWritersScan(new HashSet<RelFileLocator> { UBefore, UAfter }, Second52, Second52.AddSeconds(1)), CapturedWal.SubtransactionsTruncateAndDrop);

        var writers = scan.Result();
        Assert.Equal([729u, 730u, 731u], writers.Select(w => w.TransactionId));
        Assert.Equal(2, writers[0].Records);
        Assert.Equal(new Dictionary<RelFileLocator, long> { [UAfter] = 1, [UBefore] = 1 }, writers[0].RecordsByRelation);
        Assert.Equal((Lsn("0/1924798"), Lsn("0/1924908")), (writers[0].FirstLsn, writers[0].LastLsn));
        Assert.Equal(3, writers[1].Records);
        Assert.True(writers[1].Committed);
        Assert.Equal(1, writers[2].Records);
        Assert.False(writers[2].Committed);
    }

    [Fact]
    public void Writers_count_an_update_across_two_blocks_once_and_leave_out_a_rolled_back_savepoint()
    {
        var scan = Scan(new WalWritersScan(new HashSet<RelFileLocator> { W }, Second52, Second52.AddMinutes(11)), CapturedWal.UpdateAcrossBlocksAndRolledBackSavepoint);

        var writers = scan.Result();
        Assert.Equal([747u, 746u, 750u], writers.Select(w => w.TransactionId));
        Assert.False(writers[0].Committed);
        Assert.Equal(2, writers[1].Records);
        Assert.Equal([749u], writers[1].Subtransactions);
        Assert.Equal((Lsn("0/1D963C8"), Lsn("0/1D98380"), Lsn("0/1D98400")), (writers[1].FirstLsn, writers[1].LastLsn, writers[1].CommitLsn));
        Assert.Equal(1, writers[2].Records);
    }

    [Fact]
    public void Writers_outside_the_time_range_are_left_out()
    {
        var scan = Scan(new WalWritersScan(new HashSet<RelFileLocator> { W }, Second52.AddMinutes(10).AddSeconds(22), Second52.AddMinutes(11)), CapturedWal.UpdateAcrossBlocksAndRolledBackSavepoint);

        Assert.Equal([750u], scan.Result().Select(w => w.TransactionId));
    }

    [Fact]
    public void Writers_want_older_wal_until_a_commit_before_the_range_and_a_snapshot_before_its_transactions()
    {
        var relations = new HashSet<RelFileLocator> { T };
        Assert.True(Scan(new WalWritersScan(relations, Second52, Second52.AddSeconds(1)), CapturedWal.SubtransactionsTruncateAndDrop).WantsOlder());
        Assert.False(Scan(new WalWritersScan(relations, Second52.AddSeconds(5), Second52.AddSeconds(6)), CapturedWal.SubtransactionsTruncateAndDrop).WantsOlder());

        // A commit long before the range; the range holds 730, which began after a snapshot that had not assigned it.
        const string earlier = """
            rmgr: Transaction len (rec/tot):     34/    34, tx:        700, lsn: 0/01910000, prev 0/0190FFC8, desc: COMMIT 2026-12-07 02:08:40.000000 UTC
            rmgr: Standby     len (rec/tot):     50/    50, tx:          0, lsn: 0/01920000, prev 0/01910000, desc: RUNNING_XACTS nextXid 730 latestCompletedXid 729 oldestRunningXid 730
            """;
        var scan = Scan(new WalWritersScan(new HashSet<RelFileLocator> { UAfter }, Second52.AddTicks(3590000), Second52.AddSeconds(1)), earlier + "\n" + CapturedWal.SubtransactionsTruncateAndDrop);
        Assert.False(scan.WantsOlder());
        Assert.Equal([730u, 731u], scan.Result().Select(w => w.TransactionId));
    }

    [Fact]
    public void Drop_database_recovers_to_the_invalid_mark_before_the_dropping_transaction()
    {
        var scan = Scan(new DropDatabaseScan(16384, null, marksInvalid: true), CapturedWal.SubtransactionsTruncateAndDrop);

        var drop = scan.Result()!;
        Assert.Equal(Lsn("0/1924C58"), drop.DropLsn);
        Assert.Equal(732u, drop.TransactionId);
        Assert.Equal([1663u], drop.Tablespaces);
        Assert.Equal(Lsn("0/1924C80"), drop.CommitLsn);
        Assert.Equal(Second52.AddTicks(4879690), drop.CommitTime);
        Assert.Equal(Lsn("0/1924AD0"), drop.MarkedInvalidLsn);
        Assert.Equal(Lsn("0/1924AD0"), drop.RecoveryLsn);
        Assert.Equal((Lsn("0/1924A40"), 730u), (drop.LastCommitLsn!.Value, drop.LastCommitTransactionId!.Value));
    }

    [Fact]
    public void Drop_database_before_postgresql_15_4_recovers_to_the_dropping_transaction_s_first_record()
    {
        var drop = Scan(new DropDatabaseScan(16384, null, marksInvalid: false), CapturedWal.SubtransactionsTruncateAndDrop).Result()!;

        Assert.Null(drop.MarkedInvalidLsn);
        Assert.Equal(Lsn("0/1924B70"), drop.RecoveryLsn);
    }

    [Fact]
    public void Drop_database_wants_older_wal_until_it_holds_the_dropping_transaction_s_first_record()
    {
        var scan = Scan(new DropDatabaseScan(16384, null, marksInvalid: true), CapturedWal.SubtransactionsTruncateAndDrop);
        Assert.True(scan.WantsOlder());

        const string snapshot = "rmgr: Standby     len (rec/tot):     50/    50, tx:          0, lsn: 0/01920000, prev 0/0191FFC8, desc: RUNNING_XACTS nextXid 732 latestCompletedXid 731 oldestRunningXid 732";
        Assert.False(Scan(new DropDatabaseScan(16384, null, marksInvalid: true), snapshot + "\n" + CapturedWal.SubtransactionsTruncateAndDrop).WantsOlder());
    }

    [Fact]
    public void Drop_of_another_database_is_not_found_and_stops_at_wal_older_than_since()
    {
        var scan = Scan(new DropDatabaseScan(16999, Second52.AddTicks(3580000), marksInvalid: true), CapturedWal.SubtransactionsTruncateAndDrop);

        Assert.Null(scan.Result());
        Assert.False(scan.WantsOlder());
        Assert.True(Scan(new DropDatabaseScan(16999, null, marksInvalid: true), CapturedWal.SubtransactionsTruncateAndDrop).WantsOlder());
    }

    [Fact]
    public void Drop_database_that_committed_before_since_is_not_the_one_looked_for()
    {
        Assert.Null(Scan(new DropDatabaseScan(16384, Second52.AddSeconds(1), marksInvalid: true), CapturedWal.SubtransactionsTruncateAndDrop).Result());
        Assert.NotNull(Scan(new DropDatabaseScan(16384, Second52, marksInvalid: true), CapturedWal.SubtransactionsTruncateAndDrop).Result());
    }

    private static TScan Scan<TScan>(TScan scan, string captured)
        where TScan : IWalScan
    {
        scan.BeginChunk(Lsn("0/1900000"));
        foreach (var line in CapturedWal.Lines(captured))
        {
            if (WalDumpParser.TryParse(line, out var record))
            {
                scan.Read(record);
            }
        }

        return scan;
    }

    private static NpgsqlLogSequenceNumber Lsn(string text) => NpgsqlLogSequenceNumber.Parse(text);
}
