using System.Text;

namespace Backstop.Core.Audit;

/// <summary>
/// One entry of the audit log, as stored: what a caller recorded (<see cref="AuditRecord"/>) with the number the log
/// gave it (<see cref="Seq"/>, from 1, without gaps), the time, and the leaf hash of the entry before it
/// (<see cref="Previous"/>). Its canonical bytes (<see cref="AuditEntryJson"/>) are what the Merkle tree hashes; because
/// they hold the number and the previous entry's hash, moving, inserting or removing an entry breaks the chain even
/// when whoever did it recomputes each entry's own hash.
/// <para>
/// Entries are kept forever and shown to every auditor: callers must never put passwords, tokens, session cookies or
/// connection strings with passwords in any field.
/// </para>
/// </summary>
public sealed record AuditEntry
{
    /// <summary>The <see cref="Previous"/> of entry 1: 32 zero bytes, in hex.</summary>
    public static readonly string NoPrevious = new('0', 2 * MerkleTree.HashSize);

    public required long Seq { get; init; }

    /// <summary>The leaf hash of entry <see cref="Seq"/> − 1, lower-case hex; <see cref="NoPrevious"/> for entry 1.</summary>
    public required string Previous { get; init; }

    /// <summary>In UTC, to the microsecond (what PostgreSQL's timestamptz keeps).</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(AuditTimeJsonConverter))]
    public required DateTimeOffset At { get; init; }

    public required string Actor { get; init; }

    public string? From { get; init; }

    public required string Action { get; init; }

    public string? Environment { get; init; }

    public string? Object { get; init; }

    public required string Outcome { get; init; }

    public IReadOnlyDictionary<string, string>? Detail { get; init; }

    /// <summary>The entry that follows the one whose leaf hash is <paramref name="previous"/>.</summary>
    /// <exception cref="ArgumentException">the record lacks an actor, action or outcome.</exception>
    public static AuditEntry Create(long seq, string previous, DateTimeOffset at, AuditRecord what)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seq, 1);
        ArgumentException.ThrowIfNullOrWhiteSpace(what.Actor, nameof(what));
        ArgumentException.ThrowIfNullOrWhiteSpace(what.Action, nameof(what));
        ArgumentException.ThrowIfNullOrWhiteSpace(what.Outcome, nameof(what));
        return new AuditEntry
        {
            Seq = seq,
            Previous = previous,
            At = AuditEntryJson.Microseconds(at),
            Actor = what.Actor,
            From = what.From,
            Action = what.Action,
            Environment = what.Environment,
            Object = what.Object,
            Outcome = what.Outcome,
            Detail = what.Detail is null ? null : new SortedDictionary<string, string>(what.Detail.ToDictionary(), StringComparer.Ordinal),
        };
    }

    /// <summary>The canonical JSON text: what is stored, exported and hashed.</summary>
    public string ToCanonicalJson() => AuditEntryJson.Write(this);

    /// <summary>The leaf hash of RFC 6962: SHA-256(0x00 || the canonical JSON in UTF-8), lower-case hex.</summary>
    public string LeafHash() => Convert.ToHexStringLower(MerkleTree.LeafHash(Encoding.UTF8.GetBytes(ToCanonicalJson())));

    /// <summary>Reads a canonical JSON text back.</summary>
    /// <exception cref="FormatException">the text is not an audit entry.</exception>
    public static AuditEntry Parse(string json) => AuditEntryJson.Read(json);

    /// <summary>A short line for lists: number, time, who, what, on what, how it ended.</summary>
    public override string ToString() =>
        $"{Seq} {At:yyyy-MM-ddTHH:mm:ssZ} {Actor} {Action}{(Object is null ? "" : " " + Object)}{(Environment is null ? "" : " on " + Environment)}: {Outcome}";
}
