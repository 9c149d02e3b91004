namespace Backstop.Recovery.Tests.Pitr.Wal;

/// <summary>pg_waldump output captured from PostgreSQL 15.18 (TZ=UTC), for the parser and the scans.</summary>
internal static class CapturedWal
{
    /// <summary>
    /// Database 16384 (app), tables t (16385, index 16390) and u (16392). Transaction 726 inserts into t, then in savepoints
    /// 727 and 728 inserts, updates and deletes (its commit lists both); 729 truncates u (new file 16395, old 16392 dropped
    /// at commit); 730 inserts 3 rows into u; 731 inserts one and rolls back; 732 is DROP DATABASE app: the in-place update
    /// marking it invalid (tx 0), the delete of its pg_database row, a checkpoint, the directory, the commit.
    /// </summary>
    public const string SubtransactionsTruncateAndDrop = """
        rmgr: Heap        len (rec/tot):     61/    61, tx:        726, lsn: 0/019243D0, prev 0/01923D20, desc: INSERT+INIT off 1 flags 0x00, blkref #0: rel 1663/16384/16385 blk 0
        rmgr: Btree       len (rec/tot):     90/    90, tx:        726, lsn: 0/01924410, prev 0/019243D0, desc: NEWROOT lev 0, blkref #0: rel 1663/16384/16390 blk 1, blkref #2: rel 1663/16384/16390 blk 0
        rmgr: Btree       len (rec/tot):     64/    64, tx:        726, lsn: 0/01924470, prev 0/01924410, desc: INSERT_LEAF off 1, blkref #0: rel 1663/16384/16390 blk 1
        rmgr: Heap        len (rec/tot):     61/    61, tx:        727, lsn: 0/019244B0, prev 0/01924470, desc: INSERT off 2 flags 0x00, blkref #0: rel 1663/16384/16385 blk 0
        rmgr: Btree       len (rec/tot):     64/    64, tx:        727, lsn: 0/019244F0, prev 0/019244B0, desc: INSERT_LEAF off 2, blkref #0: rel 1663/16384/16390 blk 1
        rmgr: Heap        len (rec/tot):     61/    61, tx:        728, lsn: 0/01924530, prev 0/019244F0, desc: INSERT off 3 flags 0x00, blkref #0: rel 1663/16384/16385 blk 0
        rmgr: Btree       len (rec/tot):     64/    64, tx:        728, lsn: 0/01924570, prev 0/01924530, desc: INSERT_LEAF off 3, blkref #0: rel 1663/16384/16390 blk 1
        rmgr: Heap        len (rec/tot):     61/    61, tx:        728, lsn: 0/019245B0, prev 0/01924570, desc: INSERT off 4 flags 0x00, blkref #0: rel 1663/16384/16385 blk 0
        rmgr: Btree       len (rec/tot):     64/    64, tx:        728, lsn: 0/019245F0, prev 0/019245B0, desc: INSERT_LEAF off 4, blkref #0: rel 1663/16384/16390 blk 1
        rmgr: Heap        len (rec/tot):     61/    61, tx:        728, lsn: 0/01924630, prev 0/019245F0, desc: INSERT off 5 flags 0x00, blkref #0: rel 1663/16384/16385 blk 0
        rmgr: Btree       len (rec/tot):     64/    64, tx:        728, lsn: 0/01924670, prev 0/01924630, desc: INSERT_LEAF off 5, blkref #0: rel 1663/16384/16390 blk 1
        rmgr: Heap        len (rec/tot):     69/    69, tx:        728, lsn: 0/019246B0, prev 0/01924670, desc: HOT_UPDATE off 1 xmax 728 flags 0x20 ; new off 6 xmax 0, blkref #0: rel 1663/16384/16385 blk 0
        rmgr: Heap        len (rec/tot):     54/    54, tx:        728, lsn: 0/019246F8, prev 0/019246B0, desc: DELETE off 2 flags 0x00 KEYS_UPDATED , blkref #0: rel 1663/16384/16385 blk 0
        rmgr: Transaction len (rec/tot):     50/    50, tx:        726, lsn: 0/01924730, prev 0/019246F8, desc: COMMIT 2026-12-07 02:08:52.355847 UTC; subxacts: 727 728
        rmgr: Standby     len (rec/tot):     42/    42, tx:        729, lsn: 0/01924768, prev 0/01924730, desc: LOCK xid 729 db 16384 rel 16392 
        rmgr: Storage     len (rec/tot):     42/    42, tx:        729, lsn: 0/01924798, prev 0/01924768, desc: CREATE base/16384/16395
        rmgr: Heap        len (rec/tot):    123/   123, tx:        729, lsn: 0/019247C8, prev 0/01924798, desc: UPDATE off 7 xmax 729 flags 0x60 ; new off 8 xmax 0, blkref #0: rel 1663/16384/1259 blk 0
        rmgr: Btree       len (rec/tot):     64/    64, tx:        729, lsn: 0/01924848, prev 0/019247C8, desc: INSERT_LEAF off 120, blkref #0: rel 1663/16384/2662 blk 2
        rmgr: Btree       len (rec/tot):     64/    64, tx:        729, lsn: 0/01924888, prev 0/01924848, desc: INSERT_LEAF off 115, blkref #0: rel 1663/16384/2663 blk 2
        rmgr: Btree       len (rec/tot):     64/    64, tx:        729, lsn: 0/019248C8, prev 0/01924888, desc: INSERT_LEAF off 280, blkref #0: rel 1663/16384/3455 blk 1
        rmgr: Transaction len (rec/tot):    114/   114, tx:        729, lsn: 0/01924908, prev 0/019248C8, desc: COMMIT 2026-12-07 02:08:52.356588 UTC; rels: base/16384/16392; inval msgs: catcache 55 catcache 54 relcache 16392
        rmgr: Heap        len (rec/tot):     59/    59, tx:        730, lsn: 0/01924980, prev 0/01924908, desc: INSERT+INIT off 1 flags 0x00, blkref #0: rel 1663/16384/16395 blk 0
        rmgr: Heap        len (rec/tot):     59/    59, tx:        730, lsn: 0/019249C0, prev 0/01924980, desc: INSERT off 2 flags 0x00, blkref #0: rel 1663/16384/16395 blk 0
        rmgr: Heap        len (rec/tot):     59/    59, tx:        730, lsn: 0/01924A00, prev 0/019249C0, desc: INSERT off 3 flags 0x00, blkref #0: rel 1663/16384/16395 blk 0
        rmgr: Transaction len (rec/tot):     34/    34, tx:        730, lsn: 0/01924A40, prev 0/01924A00, desc: COMMIT 2026-12-07 02:08:52.359353 UTC
        rmgr: Heap        len (rec/tot):     59/    59, tx:        731, lsn: 0/01924A68, prev 0/01924A40, desc: INSERT off 4 flags 0x00, blkref #0: rel 1663/16384/16395 blk 0
        rmgr: Transaction len (rec/tot):     34/    34, tx:        731, lsn: 0/01924AA8, prev 0/01924A68, desc: ABORT 2026-12-07 02:08:52.359825 UTC
        rmgr: Heap        len (rec/tot):    160/   160, tx:          0, lsn: 0/01924AD0, prev 0/01924AA8, desc: INPLACE off 4, blkref #0: rel 1664/0/1262 blk 0
        rmgr: Heap        len (rec/tot):     54/    54, tx:        732, lsn: 0/01924B70, prev 0/01924AD0, desc: DELETE off 4 flags 0x00 KEYS_UPDATED , blkref #0: rel 1664/0/1262 blk 0
        rmgr: Standby     len (rec/tot):     54/    54, tx:          0, lsn: 0/01924BA8, prev 0/01924B70, desc: RUNNING_XACTS nextXid 733 latestCompletedXid 731 oldestRunningXid 732; 1 xacts: 732
        rmgr: XLOG        len (rec/tot):    114/   114, tx:          0, lsn: 0/01924BE0, prev 0/01924BA8, desc: CHECKPOINT_ONLINE redo 0/1924BA8; tli 1; prev tli 1; fpw true; xid 0:733; oid 24576; multi 1; offset 0; oldest xid 716 in DB 1; oldest multi 1 in DB 1; oldest/newest commit timestamp xid: 0/0; oldest running xid 732; online
        rmgr: Database    len (rec/tot):     38/    38, tx:        732, lsn: 0/01924C58, prev 0/01924BE0, desc: DROP dir 1663/16384
        rmgr: Transaction len (rec/tot):     98/    98, tx:        732, lsn: 0/01924C80, prev 0/01924C58, desc: COMMIT 2026-12-07 02:08:52.487969 UTC; dropped stats: 1/16384/0; inval msgs: catcache 21 catcache 21; sync
        """;

    /// <summary>
    /// Database 16400, table w (16401, index 16406), after a checkpoint: transaction 746 updates a row whose new version
    /// goes to another block (two block references, the first with a full-page image), savepoint 747 deletes a row and is
    /// rolled back, savepoint 749 inserts; the commit lists 748 and 749. Then COPY (750) writes one MULTI_INSERT.
    /// </summary>
    public const string UpdateAcrossBlocksAndRolledBackSavepoint = """
        rmgr: Heap        len (rec/tot):     59/  8203, tx:        746, lsn: 0/01D943A0, prev 0/01D93E50, desc: LOCK off 1: xid 746: flags 0x00 LOCK_ONLY EXCL_LOCK , blkref #0: rel 1663/16400/16401 blk 0 FPW
        rmgr: Heap        len (rec/tot):     73/  3877, tx:        746, lsn: 0/01D963C8, prev 0/01D943A0, desc: UPDATE off 1 xmax 746 flags 0x00 ; new off 27 xmax 0, blkref #0: rel 1663/16400/16401 blk 3 FPW, blkref #1: rel 1663/16400/16401 blk 0
        rmgr: Btree       len (rec/tot):     53/  4113, tx:        746, lsn: 0/01D972F0, prev 0/01D963C8, desc: INSERT_LEAF off 2, blkref #0: rel 1663/16400/16406 blk 1 FPW
        rmgr: Heap        len (rec/tot):     54/    54, tx:        747, lsn: 0/01D98320, prev 0/01D972F0, desc: DELETE off 2 flags 0x00 KEYS_UPDATED , blkref #0: rel 1663/16400/16401 blk 0
        rmgr: Transaction len (rec/tot):     34/    34, tx:        747, lsn: 0/01D98358, prev 0/01D98320, desc: ABORT 2026-12-07 02:19:13.875123 UTC
        rmgr: Heap        len (rec/tot):     61/    61, tx:        749, lsn: 0/01D98380, prev 0/01D98358, desc: INSERT off 28 flags 0x00, blkref #0: rel 1663/16400/16401 blk 3
        rmgr: Btree       len (rec/tot):     64/    64, tx:        749, lsn: 0/01D983C0, prev 0/01D98380, desc: INSERT_LEAF off 202, blkref #0: rel 1663/16400/16406 blk 1
        rmgr: Transaction len (rec/tot):     50/    50, tx:        746, lsn: 0/01D98400, prev 0/01D983C0, desc: COMMIT 2026-12-07 02:19:13.875198 UTC; subxacts: 748 749
        rmgr: Heap2       len (rec/tot):     82/    82, tx:        750, lsn: 0/02000028, prev 0/01D98438, desc: MULTI_INSERT 2 tuples flags 0x02, blkref #0: rel 1663/16400/16401 blk 3
        rmgr: Transaction len (rec/tot):     34/    34, tx:        750, lsn: 0/02000100, prev 0/020000C0, desc: COMMIT 2026-12-07 02:19:18.237481 UTC
        """;

    public static IEnumerable<string> Lines(string text) => text.Split('\n');
}
