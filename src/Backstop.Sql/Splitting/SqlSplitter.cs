namespace Backstop.Sql.Splitting;

/// <summary>Splits at top-level semicolons only: never at blank lines, never inside literals, comments or BEGIN ATOMIC bodies.</summary>
public static class SqlSplitter
{
    /// <exception cref="SqlSyntaxException">the script cannot be lexed.</exception>
    public static SqlScript Split(string source) => throw new NotImplementedException();
}
