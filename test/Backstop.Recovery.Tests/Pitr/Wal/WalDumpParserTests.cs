using Backstop.Recovery.Pitr.Wal;

namespace Backstop.Recovery.Tests.Pitr.Wal;

public sealed class WalDumpParserTests
{
    [Fact]
    public void TryParse_record_line_reads_its_header_description_and_block()
    {
        Assert.True(WalDumpParser.TryParse(
            "rmgr: Heap        len (rec/tot):     61/    61, tx:        726, lsn: 0/019243D0, prev 0/01923D20, desc: INSERT+INIT off 1 flags 0x00, blkref #0: rel 1663/16384/16385 blk 0",
            out var record));

        Assert.Equal("Heap", record.ResourceManager);
        Assert.Equal(726u, record.TransactionId);
        Assert.Equal("0/19243D0", record.Lsn.ToString());
        Assert.Equal("INSERT+INIT off 1 flags 0x00", record.Description);
        Assert.Equal("INSERT+INIT", record.Type);
        var block = Assert.Single(record.Blocks);
        Assert.Equal(new WalBlockReference(new RelFileLocator(1663, 16384, 16385), "main", 0, false), block);
    }

    [Fact]
    public void TryParse_update_into_another_block_reads_both_block_references_and_the_full_page_image()
    {
        Assert.True(WalDumpParser.TryParse(CapturedWal.Lines(CapturedWal.UpdateAcrossBlocksAndRolledBackSavepoint).ElementAt(1), out var record));

        Assert.Equal("UPDATE off 1 xmax 746 flags 0x00 ; new off 27 xmax 0", record.Description);
        Assert.Equal(
            [new(new RelFileLocator(1663, 16400, 16401), "main", 3, true), new(new RelFileLocator(1663, 16400, 16401), "main", 0, false)],
            record.Blocks);
    }

    [Fact]
    public void TryParse_fork_and_gaps_in_block_ids()
    {
        Assert.True(WalDumpParser.TryParse(
            "rmgr: Heap2       len (rec/tot):     64/    64, tx:          0, lsn: 1A/0000A0B8, prev 1A/0000A060, desc: VISIBLE cutoff xid 740 flags 0x01, blkref #0: rel 16500/16384/16401 fork vm blk 0, blkref #2: rel 16500/16384/16401 blk 7 FPW",
            out var record));

        Assert.Equal("1A/A0B8", record.Lsn.ToString());
        Assert.Equal(0u, record.TransactionId);
        Assert.Equal([new(new RelFileLocator(16500, 16384, 16401), "vm", 0, false), new(new RelFileLocator(16500, 16384, 16401), "main", 7, true)], record.Blocks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("first record is after 0/1000000, at 0/1000028, skipping over 40 bytes")]
    [InlineData("pg_waldump: error: error in WAL record at 0/1924CE8: invalid record length at 0/1924D20: wanted 24, got 0")]
    [InlineData("rmgr: Heap len (rec/tot): 61/61, tx: 726, lsn: nowhere, prev 0/0, desc: INSERT")]
    public void TryParse_other_lines_are_no_records(string line)
    {
        Assert.False(WalDumpParser.TryParse(line, out _));
    }

    [Fact]
    public void TryParseEnd_commit_lists_its_subtransactions_and_its_time_in_utc()
    {
        var end = End(CapturedWal.SubtransactionsTruncateAndDrop, "0/1924730");

        Assert.Equal(726u, end.TransactionId);
        Assert.True(end.Committed);
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 2, 8, 52, TimeSpan.Zero).AddTicks(3558470), end.Time);
        Assert.Equal([727u, 728u], end.Subtransactions);
        Assert.Empty(end.DroppedRelations);
    }

    [Fact]
    public void TryParseEnd_commit_of_a_truncate_names_the_old_file_it_drops()
    {
        var end = End(CapturedWal.SubtransactionsTruncateAndDrop, "0/1924908");

        Assert.Equal([new RelFileLocator(1663, 16384, 16392)], end.DroppedRelations);
        Assert.Empty(end.Subtransactions);
    }

    [Fact]
    public void TryParseEnd_abort_is_not_committed()
    {
        var end = End(CapturedWal.SubtransactionsTruncateAndDrop, "0/1924AA8");

        Assert.Equal(731u, end.TransactionId);
        Assert.False(end.Committed);
    }

    [Fact]
    public void TryParseEnd_commit_prepared_is_the_prepared_transaction_s()
    {
        Assert.True(WalDumpParser.TryParse(
            "rmgr: Transaction len (rec/tot):     42/    42, tx:          0, lsn: 0/03000100, prev 0/030000C8, desc: COMMIT_PREPARED 735: 2026-12-07 02:30:00.000001 UTC; subxacts: 736; rels: pg_tblspc/16500/PG_15_202209061/16384/16510 global/1262_fsm",
            out var record));

        Assert.True(WalDumpParser.TryParseEnd(record, out var end));
        Assert.Equal(735u, end.TransactionId);
        Assert.True(end.Committed);
        Assert.Equal([736u], end.Subtransactions);
        Assert.Equal([new RelFileLocator(16500, 16384, 16510), new RelFileLocator(1664, 0, 1262)], end.DroppedRelations);
    }

    [Fact]
    public void TryParseEnd_time_in_another_zone_is_not_read()
    {
        Assert.True(WalDumpParser.TryParse(
            "rmgr: Transaction len (rec/tot):     34/    34, tx:        730, lsn: 0/01924A40, prev 0/01924A00, desc: COMMIT 2026-12-07 03:08:52.359353 CET",
            out var record));

        Assert.False(WalDumpParser.TryParseEnd(record, out _));
    }

    [Fact]
    public void TryParseNextXid_reads_running_transactions()
    {
        Assert.True(WalDumpParser.TryParseNextXid(Record(CapturedWal.SubtransactionsTruncateAndDrop, "0/1924BA8"), out var next));
        Assert.Equal(733u, next);
        Assert.False(WalDumpParser.TryParseNextXid(Record(CapturedWal.SubtransactionsTruncateAndDrop, "0/1924BE0"), out _));
    }

    [Fact]
    public void TryParseDatabaseDrop_reads_the_database_and_its_tablespaces()
    {
        Assert.True(WalDumpParser.TryParseDatabaseDrop(Record(CapturedWal.SubtransactionsTruncateAndDrop, "0/1924C58"), out var database, out var tablespaces));
        Assert.Equal(16384u, database);
        Assert.Equal([1663u], tablespaces);

        Assert.True(WalDumpParser.TryParse(
            "rmgr: Database    len (rec/tot):     42/    42, tx:        900, lsn: 0/05000028, prev 0/04FFFFC0, desc: DROP dir 1663/16600 16500/16600",
            out var record));
        Assert.True(WalDumpParser.TryParseDatabaseDrop(record, out database, out tablespaces));
        Assert.Equal(16600u, database);
        Assert.Equal([1663u, 16500u], tablespaces);
    }

    [Theory]
    [InlineData("base/16384/16392", 1663u, 16384u, 16392u)]
    [InlineData("base/16384/16392_init", 1663u, 16384u, 16392u)]
    [InlineData("global/1262", 1664u, 0u, 1262u)]
    [InlineData("pg_tblspc/16500/PG_15_202209061/16384/16510_vm", 16500u, 16384u, 16510u)]
    public void TryParsePath_reads_relpath_forms(string path, uint tablespace, uint database, uint node)
    {
        Assert.True(RelFileLocator.TryParsePath(path, out var locator));
        Assert.Equal(new RelFileLocator(tablespace, database, node), locator);
    }

    [Theory]
    [InlineData("base/16384")]
    [InlineData("base/x/16392")]
    [InlineData("pg_wal/000000010000000000000001")]
    public void TryParsePath_other_paths_are_not_relations(string path)
    {
        Assert.False(RelFileLocator.TryParsePath(path, out _));
    }

    internal static WalRecord Record(string captured, string lsn) =>
        CapturedWal.Lines(captured).Select(l => WalDumpParser.TryParse(l, out var r) ? r : null).Single(r => r?.Lsn.ToString() == lsn)!;

    private static WalTransactionEnd End(string captured, string lsn)
    {
        Assert.True(WalDumpParser.TryParseEnd(Record(captured, lsn), out var end));
        return end;
    }
}
