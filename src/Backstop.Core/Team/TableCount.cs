namespace Backstop.Core.Team;

/// <summary>What a change did to one table in all, as an approval is bound to it.</summary>
public sealed record TableCount(string Table, long Inserted, long Updated, long Deleted);
