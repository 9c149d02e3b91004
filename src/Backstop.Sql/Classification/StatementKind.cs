namespace Backstop.Sql.Classification;

public enum StatementKind
{
    /// <summary>A form the classifier does not recognise; policy treats it as risky (fail closed).</summary>
    Unclassified,
    Select,
    Insert,
    Update,
    Delete,
    Merge,
    Truncate,
    DropTable,
    DropSchema,
    DropDatabase,
    DropIndex,
    DropView,
    DropMaterializedView,
    DropSequence,
    DropFunction,
    DropProcedure,
    DropTrigger,
    DropType,
    DropExtension,
    DropRole,
    /// <summary>Any other DROP (domain, policy, publication, tablespace, ...).</summary>
    DropOther,
    /// <summary>ALTER TABLE; see <see cref="StatementInfo.DropsColumn"/>.</summary>
    AlterTable,
    AlterOther,
    /// <summary>CREATE of anything (see <see cref="StatementInfo.ObjectType"/>).</summary>
    Create,
    CopyFrom,
    CopyTo,
    /// <summary>BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE, PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED.</summary>
    TransactionControl,
    Set,
    Reset,
    Show,
    Do,
    Call,
    Grant,
    Revoke,
    Vacuum,
    Analyze,
    /// <summary>EXPLAIN without ANALYZE (EXPLAIN ANALYZE of a write is classified as that write).</summary>
    Explain,
    /// <summary>Recognised but harmless or outside the other kinds: LOCK, COMMENT, LISTEN, CHECKPOINT, REINDEX, CLUSTER, ...</summary>
    Other,
}
