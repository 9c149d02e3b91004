using System.Text.RegularExpressions;
using NpgsqlTypes;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// A WAL location as a user types it and as PostgreSQL prints a <c>pg_lsn</c>: two hexadecimal numbers of up to 32
/// bits each, <c>0/1A2B3C4</c> (docs: "Data Types → pg_lsn Type"). <c>pg_waldump</c> pads the second one
/// (<c>0/019243D0</c>); both forms are read, and written back in PostgreSQL's.
/// </summary>
public static partial class RecoveryLsn
{
    /// <exception cref="PitrException">the text is not a WAL location (a usage error).</exception>
    public static NpgsqlLogSequenceNumber Parse(string text)
    {
        var trimmed = text.Trim();
        if (!Form().IsMatch(trimmed) || !NpgsqlLogSequenceNumber.TryParse(trimmed, out var lsn))
        {
            throw new PitrException(
                $"'{text}' is not a WAL location; give it as PostgreSQL prints a pg_lsn, two hexadecimal numbers with a slash between them, e.g. 0/1A2B3C4 (SELECT pg_current_wal_lsn())",
                isUsageError: true);
        }

        return lsn;
    }

    [GeneratedRegex("^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")]
    private static partial Regex Form();
}
