namespace Backstop.Core.Configuration;

/// <summary>The <c>backup:</c> section of an environment: where logical backups go, how many are kept, how fresh a proof must be.</summary>
public sealed record BackupSettings
{
    public static BackupSettings Default { get; } = new();

    /// <summary>The repository root; null: <c>.backstop/backups</c> beside backstop.yaml. Backups go in <c>&lt;repository&gt;/&lt;env&gt;/&lt;id&gt;/</c>.</summary>
    public string? Repository { get; init; }

    /// <summary>Parallel jobs for pg_dump and pg_restore (default 2).</summary>
    public int Jobs { get; init; } = 2;

    /// <summary>pg_dump's compression level, 0–9 (default 6, gzip; pg_dump's own default for the directory format).</summary>
    public int Compression { get; init; } = 6;

    /// <summary>Keep at most this many complete backups (null: no limit). The newest is never removed.</summary>
    public int? Keep { get; init; }

    /// <summary>Remove complete backups older than this (null: no limit). The newest is never removed.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary><c>backup status</c> warns when the last proven restore is older than this (default 24 h).</summary>
    public TimeSpan ProvenWithin { get; init; } = TimeSpan.FromHours(24);
}

/// <summary>The <c>pitr:</c> section of an environment: a self-managed cluster archived by pgBackRest.</summary>
public sealed record PitrSettings
{
    /// <summary>The cluster's data directory on this machine.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The pgBackRest repository; null: <c>.backstop/pitr/&lt;env&gt;/repo</c> beside backstop.yaml.</summary>
    public string? Repository { get; init; }

    /// <summary>The pgBackRest stanza; null: the environment's name.</summary>
    public string? Stanza { get; init; }
}
