namespace Backstop.Core.RecycleBin;

/// <summary>The recycle bin cannot do what was asked (exit 1 at run time, 2 for a bad request); the message says why and what to do.</summary>
public sealed class RecycleBinException(string message) : Exception(message);
