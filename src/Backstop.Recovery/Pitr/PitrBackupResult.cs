using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Pitr;

/// <summary>A pgBackRest backup taken and recorded, with what a user needs to know about it.</summary>
/// <param name="Type"><c>full</c>, <c>diff</c> or <c>incr</c>, read from its label.</param>
/// <param name="RecoverableFrom">the earliest time a clone can go back to with it (see <see cref="PitrBackup.RecoverableFrom"/>).</param>
public sealed record PitrBackupResult(BackupEntry Entry, string Type, TimeSpan Duration, DateTimeOffset RecoverableFrom);
