using System.Security.Cryptography;
using System.Text;

namespace Backstop.Core.Migrations;

/// <summary>
/// One numbered step of a schema: its SQL runs once, in a transaction of its own, and the schema's version becomes
/// <see cref="Version"/> in that same transaction. A migration is never edited once released; a change is a new one.
/// </summary>
/// <param name="Version">its number; a schema at this version has had this migration and every one before it.</param>
/// <param name="Name">what it does, from its file name (<c>0005_capture_rows_counts_twice.sql</c> → <c>capture_rows_counts_twice</c>).</param>
/// <param name="Sql">its statements.</param>
public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of <see cref="Sql"/> (UTF-8, line ends as in the file): what tests hold a released migration to.</summary>
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}
