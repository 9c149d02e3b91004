namespace Backstop.Sql.Splitting;

/// <summary>A script split at its top-level semicolons.</summary>
public sealed record SqlScript(string Source, IReadOnlyList<SqlStatement> Statements, SourceSpan TrailingExtent);
