namespace Backstop.Core.Preview;

/// <summary>What a statement was seen to destroy in the catalog, whatever ran it (a function, a DO block, a trigger, a CASCADE).</summary>
public enum EffectKind
{
    /// <summary>A table's rows were removed wholesale (TRUNCATE, seen as a new relfilenode and the rows gone).</summary>
    Truncated,

    /// <summary>A table was dropped.</summary>
    DroppedTable,

    /// <summary>A column was dropped (ALTER TABLE … DROP COLUMN, or DROP TYPE / DROP DOMAIN … CASCADE).</summary>
    DroppedColumn,

    /// <summary>A column got a new type and the table was rewritten: its values are whatever the USING expression made of them.</summary>
    RewrittenColumn,

    /// <summary>A table was rewritten with every row kept (VACUUM FULL, CLUSTER, a rewriting ALTER TABLE): not destructive, but locking.</summary>
    RewrittenTable,

    /// <summary>Large objects were removed (pg_largeobject_metadata rows deleted).</summary>
    RemovedLargeObjects,
}
