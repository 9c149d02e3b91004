namespace Backstop.Core.Preview;

/// <summary>How many rows a table holds (exact, or the planner's estimate), and whether rows can be told apart by a primary key.</summary>
internal sealed record TableSize(long? Rows, bool Estimated, string Schema, string Name, bool HasPrimaryKey);
