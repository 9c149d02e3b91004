using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Postgres.Catalog;

namespace Backstop.Core.Changes;

/// <summary>A previewed script: its statements, what each did in the rolled-back transaction, and the verdict.</summary>
public sealed record CheckResult(
    IReadOnlyList<AnalyzedStatement> Statements,
    IReadOnlyList<StatementImpact> Impacts,
    PolicyDecision Decision,
    ServerIdentity Identity);
