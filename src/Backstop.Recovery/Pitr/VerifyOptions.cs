namespace Backstop.Recovery.Pitr;

/// <summary>What <c>backstop pitr verify</c> was asked for.</summary>
public sealed record VerifyOptions
{
    /// <summary>The clone to make; its <see cref="CloneOptions.Time"/> defaults to now.</summary>
    public CloneOptions CloneOptions { get; init; } = new();

    /// <summary>Leave the clone running afterwards (for a look); otherwise it is stopped and removed.</summary>
    public bool Keep { get; init; }

    /// <summary>Parallel jobs for pg_amcheck.</summary>
    public int Jobs { get; init; } = 2;

    /// <summary>For the drill's recorded start and end.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
