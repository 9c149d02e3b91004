using Backstop.Core.Configuration;
using Backstop.Core.Policies;
using Backstop.Core.State;

namespace Backstop.Core.Reports;

/// <summary>
/// What <c>check</c> and <c>run</c> report (their <c>--json</c> document, docs/cli.md), built once, whichever door the
/// change came through: the CLI renders it on a terminal, the server returns it, and a CLI in remote mode renders the
/// server's, so both show the same.
/// </summary>
public sealed record ChangeReport
{
    public required string Environment { get; init; }

    public required Tier Tier { get; init; }

    /// <summary>Host and port (or socket) of the environment, for the banner; never with credentials.</summary>
    public string? Endpoint { get; init; }

    public string? Database { get; init; }

    public long? ChangeId { get; init; }

    public ChangeOutcome? Outcome { get; init; }

    /// <summary>For check: why <c>run</c> would refuse this script, or null.</summary>
    public string? RunRefusal { get; init; }

    public required Verdict Verdict { get; init; }

    /// <summary>The messages of the reasons that decided the verdict.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>Script-wide rules that matched (total rows, the freeze window), each with its verdict.</summary>
    public IReadOnlyList<ReasonReport> ScriptRules { get; init; } = [];

    public string? Message { get; init; }

    public IReadOnlyList<string>? Differences { get; init; }

    public required long TotalRowsChanged { get; init; }

    public required IReadOnlyList<StatementReport> Statements { get; init; }

    /// <summary>When the change ran: what its preview showed (<see cref="Statements"/> then holds what the run measured).</summary>
    public IReadOnlyList<StatementReport>? Preview { get; init; }

    /// <summary>Rows the preview counted in all, when the change ran.</summary>
    public long? PreviewRowsChanged { get; init; }

    public double? PreviewSeconds { get; init; }

    public double? RunSeconds { get; init; }

    /// <summary>Team mode: the approval request this change waits on.</summary>
    public long? RequestId { get; init; }

    /// <summary>Team mode: what the change still needs before it runs (confirmation, typedName, approval), when it was not given.</summary>
    public string? Requires { get; init; }

    /// <summary>Team mode: who ran it (the signed-in user).</summary>
    public string? Actor { get; init; }
}
