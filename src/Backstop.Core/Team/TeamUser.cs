namespace Backstop.Core.Team;

/// <summary>A person (or service account) of the team, as the state store keeps them; the password only as its hash.</summary>
public sealed record TeamUser
{
    public required string Name { get; init; }

    public required TeamRole Role { get; init; }

    /// <summary>An Argon2id hash (<see cref="PasswordHashing"/>); never the password.</summary>
    public required string PasswordHash { get; init; }

    /// <summary>
    /// The password's SCRAM-SHA-256 verifier, for the proxy (<see cref="ScramVerifier"/>, <see cref="ScramIterations"/>
    /// iterations); null for a password set before Backstop kept one.
    /// </summary>
    public string? ScramVerifier { get; init; }

    /// <summary>
    /// PBKDF2-HMAC-SHA256 iterations of a password's SCRAM verifier: 100,000, the most node-postgres accepts by default
    /// (its <c>scramMaxIterations</c>); 25 times PostgreSQL's own 4,096, and the client pays it at every connection
    /// (docs/proxy.md, "Where the SCRAM verifiers come from").
    /// </summary>
    public const int ScramIterations = 100_000;

    public bool Disabled { get; init; }

    /// <summary>Failed sign-ins since the last good one.</summary>
    public int FailedAttempts { get; init; }

    /// <summary>When repeated failures locked the account; null while it is not locked.</summary>
    public DateTimeOffset? LockedAt { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public bool MayApprove => Role is TeamRole.Approver or TeamRole.Admin;
}
