namespace Backstop.Core.Changes;

/// <summary>
/// A prepared change that may not run as asked: already run or set aside, without the authorization its verdict needs,
/// or on another database than it was prepared on. Nothing was changed.
/// </summary>
public sealed class ChangeNotRunnableException(string message) : Exception(message);
