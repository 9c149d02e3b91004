namespace Backstop.Sql;

/// <summary>
/// The script cannot be split: an unterminated string, dollar quote, comment or quoted identifier.
/// <see cref="Position"/> is where the unterminated construct starts.
/// </summary>
public sealed class SqlSyntaxException : Exception
{
    public SqlSyntaxException(string reason, SourcePosition position)
        : base($"{reason} at line {position.Line}, column {position.Column}")
    {
        Reason = reason;
        Position = position;
    }

    public string Reason { get; }

    public SourcePosition Position { get; }
}
