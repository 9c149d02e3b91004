namespace Backstop.Sql.Classification;

/// <summary>What a statement is and does, as far as its text tells.</summary>
public sealed record StatementInfo
{
    public required StatementKind Kind { get; init; }

    /// <summary>The object type after CREATE / ALTER / DROP / COMMENT ON etc., upper case ("TABLE", "INDEX", "MATERIALIZED VIEW"); null otherwise.</summary>
    public string? ObjectType { get; init; }

    /// <summary>Relations written (or dropped, truncated, altered); for SELECT and COPY TO, those read. Several for DROP and TRUNCATE.</summary>
    public IReadOnlyList<RelationName> Targets { get; init; } = [];

    /// <summary>For UPDATE and DELETE (and each data-modifying CTE): a WHERE at the statement's own level.</summary>
    public bool HasWhere { get; init; }

    /// <summary>The top-level WHERE is trivially true: <c>true</c>, <c>1=1</c>, <c>x = x</c>, <c>'a' = 'a'</c>, <c>NOT false</c>, ...</summary>
    public bool WhereIsTriviallyTrue { get; init; }

    /// <summary>UPDATE or DELETE (including one in a data-modifying CTE) that has no WHERE or a trivially true one. <c>WHERE CURRENT OF</c> is not all rows.</summary>
    public bool AffectsAllRows { get; init; }

    /// <summary><c>CASCADE</c> appears in a DROP or TRUNCATE.</summary>
    public bool Cascade { get; init; }

    /// <summary>ALTER TABLE with a <c>DROP COLUMN</c> (or <c>DROP</c> of a column) action.</summary>
    public bool DropsColumn { get; init; }

    /// <summary>The columns an ALTER TABLE drops (unquoted names folded to lower case).</summary>
    public IReadOnlyList<string> DroppedColumns { get; init; } = [];

    /// <summary>False for statements PostgreSQL refuses inside a transaction block (VACUUM, CREATE INDEX CONCURRENTLY, DROP DATABASE, ALTER SYSTEM, ...).</summary>
    public bool AllowedInTransaction { get; init; } = true;

    /// <summary>The statement may change data or schema (anything but reads, SHOW, EXPLAIN without ANALYZE, SET/RESET).</summary>
    public bool IsWrite { get; init; }

    /// <summary>A data-modifying CTE was found (<c>WITH d AS (DELETE ...) SELECT ...</c>).</summary>
    public bool HasDataModifyingCte { get; init; }

    /// <summary>
    /// What the statement does outside the database, which no rollback takes back (COPY to a server file, COPY
    /// TO/FROM PROGRAM); null when nothing. A preview never runs such a statement.
    /// </summary>
    public string? ExternalEffect { get; init; }

    /// <summary>The heavy table lock the statement holds while it works (CREATE INDEX without CONCURRENTLY, VACUUM FULL, …); null when none.</summary>
    public LockingForm? Lock { get; init; }

    /// <summary>What the statement grants that widens who can do what (GRANT … TO PUBLIC, ALTER ROLE … SUPERUSER, ALTER SYSTEM); null when nothing.</summary>
    public string? Privilege { get; init; }

    /// <summary>psql variables (<c>:name</c>) that the statement uses, which only psql substitutes.</summary>
    public IReadOnlyList<string> PsqlVariables { get; init; } = [];
}
