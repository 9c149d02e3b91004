namespace Backstop.Recovery.Backups;

/// <summary>A backup, drill or restore could not be done; the message names what and why.</summary>
public sealed class BackupException(string message, Exception? inner = null) : Exception(message, inner);
