namespace Backstop.Core.Snapshots.Rules;

/// <summary>A rule the rules command proposes for a column, and why.</summary>
public sealed record RuleSuggestion(ColumnRule Rule, string Why);
