namespace Backstop.Core.RecycleBin;

/// <summary>A foreign key of another table that pointed at a trashed table, as PostgreSQL defines it (pg_get_constraintdef).</summary>
public sealed record TrashForeignKey(string Schema, string Table, string Name, string Definition);
