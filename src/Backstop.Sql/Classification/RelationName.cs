namespace Backstop.Sql.Classification;

/// <summary>
/// A relation named by a statement. Unquoted names are folded to lower case as PostgreSQL does;
/// quoted names keep their case. <see cref="Schema"/> is null when the name is not qualified.
/// </summary>
public sealed record RelationName(string? Schema, string Name)
{
    /// <summary><c>ONLY</c> was given (no inheritance children).</summary>
    public bool Only { get; init; }

    public string? Alias { get; init; }

    /// <summary>The name as it would be written: quoted where it needs quotes (<c>public."Orders"</c>).</summary>
    public override string ToString() => IdentifierDisplay.Qualified(Schema, Name);
}
