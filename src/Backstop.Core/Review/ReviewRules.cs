namespace Backstop.Core.Review;

/// <summary>Every rule of <c>backstop review</c>; docs/review.md lists them with an example and the fix.</summary>
public static class ReviewRules
{
    public static readonly ReviewRule CascadeBlastRadius = new(
        "cascade-blast-radius", "Cascade blast radius", ReviewSeverity.Medium,
        "A one-row DELETE on this table reaches other tables through ON DELETE CASCADE / SET NULL; the rows it would remove are estimated from statistics.");

    public static readonly ReviewRule CascadeWithoutIndex = new(
        "cascade-without-index", "Cascade whose foreign key has no index", ReviewSeverity.High,
        "An ON DELETE CASCADE / SET NULL foreign key without an index on its columns: every delete of a parent row scans the child table, holding locks meanwhile.");

    public static readonly ReviewRule ForeignKeyWithoutIndex = new(
        "fk-without-index", "Foreign key without an index", ReviewSeverity.Medium,
        "No index whose leading columns are the foreign key's: deleting or re-keying a parent row scans the whole child table.");

    public static readonly ReviewRule TableWithoutKey = new(
        "table-without-key", "Table without a primary key", ReviewSeverity.Medium,
        "No primary key and no unique index on NOT NULL columns: undo and repair must match rows by all their columns, and duplicates cannot be told apart.");

    public static readonly ReviewRule PublicTableGrant = new(
        "public-table-grant", "Table privileges granted to PUBLIC", ReviewSeverity.High,
        "Every role, present and future, has these privileges on the table.");

    public static readonly ReviewRule RoleOwnsTables = new(
        "role-owns-tables", "The connecting role owns tables", ReviewSeverity.Medium,
        "The owner can DROP, TRUNCATE and ALTER its tables whatever is granted; an application that owns its tables can destroy them.");

    public static readonly ReviewRule RoleIsSuperuser = new(
        "role-superuser", "The connecting role is a superuser", ReviewSeverity.High,
        "A superuser bypasses every privilege and row security, and can drop any database of the cluster.");

    public static readonly ReviewRule RoleBypassesRls = new(
        "role-bypassrls", "The connecting role bypasses row security", ReviewSeverity.High,
        "BYPASSRLS ignores every row-level security policy, so a tenant filter enforced by RLS does not hold for this role.");

    public static readonly ReviewRule SecurityDefinerSearchPath = new(
        "security-definer-search-path", "SECURITY DEFINER function without a fixed search_path", ReviewSeverity.High,
        "The function runs with its owner's privileges but resolves names through the caller's search_path, so a caller can substitute objects of its own.");

    public static readonly ReviewRule NoProvenRestore = new(
        "no-proven-restore", "No restore drill has ever passed", ReviewSeverity.High,
        "Until a backup has been restored and checked, there is no evidence the environment can be recovered.");

    public static readonly ReviewRule ProvenRestoreStale = new(
        "proven-restore-stale", "Last proven restore is older than the limit", ReviewSeverity.Medium,
        "A restore would lose everything written since the last backup that a drill proved (backup.proven_within).");

    public static readonly ReviewRule NoPitr = new(
        "no-pitr", "No point-in-time recovery", ReviewSeverity.Low,
        "Without WAL archiving, a mistake can only be undone back to the last backup, not to the minute before it.");

    public static readonly ReviewRule RetentionShorterThanFreeze = new(
        "retention-shorter-than-freeze", "Retention shorter than the freeze window", ReviewSeverity.High,
        "A mistake made as the freeze window begins is found when it ends; what would undo it must still be there then.");

    public static readonly ReviewRule NoStatementTimeout = new(
        "no-statement-timeout", "No statement_timeout", ReviewSeverity.Medium,
        "A runaway statement runs, and holds its locks, until someone notices and cancels it.");

    public static readonly ReviewRule NoLockTimeout = new(
        "no-lock-timeout", "No lock_timeout", ReviewSeverity.Medium,
        "A statement waiting for a lock queues every later statement on the table behind it, with no bound.");

    public static readonly ReviewRule NoIdleInTransactionTimeout = new(
        "no-idle-in-transaction-timeout", "No idle_in_transaction_session_timeout", ReviewSeverity.Low,
        "A session left idle inside a transaction keeps its locks and holds back vacuum indefinitely.");

    public static readonly ReviewRule InvalidIndex = new(
        "invalid-index", "Invalid index", ReviewSeverity.Medium,
        "An index left invalid by a failed CREATE INDEX CONCURRENTLY is kept up to date on every write but never used by queries or constraints.");

    public static readonly ReviewRule NotValidConstraint = new(
        "not-valid-constraint", "Constraint NOT VALID", ReviewSeverity.Low,
        "The constraint holds for new rows only: rows written before it may break it.");

    public static readonly ReviewRule SequenceNearMaximum = new(
        "sequence-near-maximum", "Sequence near its maximum", ReviewSeverity.High,
        "When the sequence (or the column it feeds) reaches its maximum, every INSERT that needs a new value fails.");

    public static readonly ReviewRule VolatileDefaultNotNull = new(
        "migration-volatile-default", "Column added NOT NULL with a volatile default", ReviewSeverity.High,
        "A volatile default is computed for every existing row, so the whole table is rewritten under an ACCESS EXCLUSIVE lock.");

    public static readonly ReviewRule BlockingCreateIndex = new(
        "migration-create-index-blocking", "CREATE INDEX without CONCURRENTLY on a big table", ReviewSeverity.High,
        "CREATE INDEX without CONCURRENTLY blocks every write to the table until the index is built.");

    public static readonly ReviewRule NewCascade = new(
        "migration-new-cascade", "The migration adds a cascade", ReviewSeverity.High,
        "After the migration a one-row DELETE reaches further than before through ON DELETE CASCADE / SET NULL.");

    public static IReadOnlyList<ReviewRule> All { get; } =
    [
        CascadeBlastRadius, CascadeWithoutIndex, ForeignKeyWithoutIndex, TableWithoutKey,
        PublicTableGrant, RoleOwnsTables, RoleIsSuperuser, RoleBypassesRls, SecurityDefinerSearchPath,
        NoProvenRestore, ProvenRestoreStale, NoPitr, RetentionShorterThanFreeze,
        NoStatementTimeout, NoLockTimeout, NoIdleInTransactionTimeout,
        InvalidIndex, NotValidConstraint, SequenceNearMaximum,
        NewCascade, VolatileDefaultNotNull, BlockingCreateIndex,
    ];

    public static ReviewRule? Find(string id) => All.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.Ordinal));
}
