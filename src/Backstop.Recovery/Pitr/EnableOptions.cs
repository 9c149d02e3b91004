namespace Backstop.Recovery.Pitr;

/// <summary>What <c>backstop pitr enable</c> was asked to do.</summary>
public sealed record EnableOptions
{
    /// <summary>The cluster's data directory on this machine.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Restart the cluster when archive_mode has to change (it takes effect only at server start).</summary>
    public bool Restart { get; init; }

    /// <summary>Null: <c>.backstop/pitr/&lt;env&gt;/repo</c>.</summary>
    public string? Repository { get; init; }

    /// <summary>Null: the environment's name.</summary>
    public string? Stanza { get; init; }
}
