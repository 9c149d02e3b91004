namespace Backstop.Postgres.Sandbox;

public sealed record SandboxOptions
{
    /// <summary>Null: a generated name.</summary>
    public string? Name { get; init; }

    /// <summary>Null: a free loopback port.</summary>
    public int? Port { get; init; }

    /// <summary>Where sandboxes live; null: <c>BACKSTOP_SANDBOX_DIR</c> or <c>$TMPDIR/backstop-sandboxes</c>.</summary>
    public string? Root { get; init; }

    /// <summary>Extra server settings (<c>-c name=value</c>), e.g. archive settings for PITR drills.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
