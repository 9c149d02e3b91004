namespace Backstop.Core.Preview;

/// <summary>One change the catalog comparison found; <c>Column</c> is the attnum for column changes.</summary>
internal sealed record CatalogChange(CatalogChangeKind Kind, WatchedTable Table, short Column);
