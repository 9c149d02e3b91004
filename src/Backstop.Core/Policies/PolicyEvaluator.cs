using System.Globalization;
using Backstop.Core.Changes;
using Backstop.Core.Preview;
using Backstop.Sql.Classification;

namespace Backstop.Core.Policies;

/// <summary>
/// Applies a tier's rules to a script and its measured impact. Every matching rule contributes its
/// verdict and the strictest wins; a statement the classifier does not know, or whose impact could not
/// be measured, fails closed.
/// </summary>
public static class PolicyEvaluator
{
    public static PolicyDecision Evaluate(TierPolicy policy, IReadOnlyList<AnalyzedStatement> statements, IReadOnlyList<StatementImpact> impacts, PolicyContext context)
    {
        var inFreeze = policy.FreezeWindow is { } window && window.Contains(TimeZoneInfo.ConvertTime(context.Now, context.TimeZone).DateTime);
        var verdicts = new List<StatementVerdict>(statements.Count);
        var writes = false;
        foreach (var statement in statements)
        {
            var impact = impacts.FirstOrDefault(i => i.Index == statement.Index);
            var isWrite = IsWrite(statement, impact);
            writes |= isWrite;
            var reasons = StatementReasons(policy, statement, impact, context, isWrite);
            if (context.Recovery is { } recovery && isWrite)
            {
                reasons = reasons.Where(r => r.Rule is "unclassified" or "unkeepable").ToList();
                reasons.Add(new("recovery", policy.Recovery, $"a recovery: puts back {recovery}"));
                verdicts.Add(Decide(statement.Index, isWrite, reasons));
                continue;
            }

            if (inFreeze && isWrite)
            {
                reasons.Add(new("freeze", policy.Freeze, $"a write inside the freeze window ({policy.FreezeWindow}, {context.TimeZone.Id})"));
            }

            verdicts.Add(Decide(statement.Index, isWrite, reasons));
        }

        var scriptReasons = new List<PolicyReason>();
        var total = impacts.Sum(i => i.Changed);
        if (total > policy.TotalRowsOver && context.Recovery is null)
        {
            var estimated = impacts.Any(i => i.Estimated) ? " (estimated)" : "";
            scriptReasons.Add(new("total_rows", policy.TotalRows, $"changes {Number(total)} rows in all{estimated}, more than {Number(policy.TotalRowsOver)}"));
        }

        if (context.StagedRuns is { Count: 0 } && context.Recovery is null && writes)
        {
            var days = policy.StagedWindow.TotalDays >= 1 ? $"{policy.StagedWindow.TotalDays:0.#} days" : $"{policy.StagedWindow.TotalHours:0.#} hours";
            scriptReasons.Add(new("staged_first", policy.StagedFirst, $"this exact script has not committed on a staging or development environment in the last {days}; run it there first"));
        }

        var verdict = verdicts.Select(v => v.Verdict).Concat(scriptReasons.Select(r => r.Verdict)).DefaultIfEmpty(Verdict.Allow).Max();
        return new PolicyDecision(verdict, verdicts, scriptReasons.Where(r => r.Verdict > Verdict.Allow).ToList());
    }

    /// <summary>A statement that looks like a read but changed rows (a function with side effects) is judged as the write it is.</summary>
    private static bool IsWrite(AnalyzedStatement statement, StatementImpact? impact) =>
        statement.Info.IsWrite || impact?.Changed > 0 || impact?.Effects.Count > 0;

    /// <summary>A denial unless the database to drop has a backup taken within <paramref name="within"/> and proven by a drill.</summary>
    private static IEnumerable<PolicyReason> BackupProof(string database, TimeSpan within, PolicyContext context)
    {
        var limit = within.TotalMinutes < 120 ? $"{within.TotalMinutes:0} minutes" : $"{within.TotalHours:0.#} hours";
        var fix = $"make one with `backstop backup run -e {context.EnvironmentName} --database {database}` and prove it with `backstop backup verify --latest -e {context.EnvironmentName} --database {database}`";
        if (!context.ProvenBackups.TryGetValue(database, out var taken))
        {
            yield return new("drop_database_backup", Verdict.Deny, $"DROP DATABASE {database} needs a backup of it proven by a restore drill, taken within the last {limit}; there is none: {fix}");
        }
        else if (context.Now - taken > within)
        {
            var age = context.Now - taken;
            var ago = age.TotalMinutes < 120 ? $"{age.TotalMinutes:0} minutes" : $"{age.TotalHours:0.#} hours";
            yield return new("drop_database_backup", Verdict.Deny, $"DROP DATABASE {database} needs a backup of it proven by a restore drill, taken within the last {limit}; the newest was taken {ago} ago: {fix}");
        }
    }

    private static List<PolicyReason> StatementReasons(TierPolicy policy, AnalyzedStatement statement, StatementImpact? impact, PolicyContext context, bool isWrite)
    {
        var info = statement.Info;
        var reasons = new List<PolicyReason>();
        if (!isWrite)
        {
            reasons.Add(new("read", policy.Read, "a read"));
            return reasons;
        }

        reasons.Add(new("write", policy.Write, "a write"));
        if (info.Kind == StatementKind.Unclassified)
        {
            reasons.Add(new("unclassified", policy.Unclassified, $"Backstop cannot classify '{ScriptAnalyzer.FirstWords(statement)}', so it is treated as risky"));
        }

        if (info.ExternalEffect is { } external)
        {
            reasons.Add(new("unclassified", policy.Unclassified, $"{external}; a preview cannot show what it does"));
        }

        if (info.AffectsAllRows)
        {
            var what = info.HasWhere ? "a WHERE that is always true" : "no WHERE";
            var target = info.Targets.Count > 0 ? info.Targets[0].ToString() : "its table";
            var verdict = context.AllowAllRows ? policy.AllRowsAcknowledged : policy.AllRows;
            var hint = !context.AllowAllRows && policy.AllRows == Verdict.Deny && policy.AllRowsAcknowledged < Verdict.Deny ? " (if every row is meant, --allow-all-rows asks for approval instead)" : "";
            reasons.Add(new("all_rows", verdict, $"{info.Kind.ToString().ToUpperInvariant()} of {target} has {what}: it changes every row{hint}"));
        }

        if (info.Kind == StatementKind.DropDatabase)
        {
            reasons.Add(new("drop_database", policy.DropDatabase, "DROP DATABASE"));
            if (policy.DropDatabase < Verdict.Deny && policy.DropDatabaseBackupWithin is { } within && info.Targets.Count > 0)
            {
                reasons.AddRange(BackupProof(info.Targets[0].Name, within, context));
            }
        }

        if (info.Kind is StatementKind.DropTable or StatementKind.DropSchema or StatementKind.Truncate || info.DropsColumn)
        {
            var what = info.Kind switch
            {
                StatementKind.DropTable => "DROP TABLE",
                StatementKind.DropSchema => "DROP SCHEMA",
                StatementKind.Truncate => "TRUNCATE",
                _ => "ALTER TABLE … DROP COLUMN",
            };
            reasons.Add(new("destructive_ddl", policy.DestructiveDdl, $"{what} of {string.Join(", ", info.Targets)}"));
        }

        if (info.Privilege is { } privilege)
        {
            reasons.Add(new("privileges", policy.Privileges, privilege));
        }

        if (impact is null)
        {
            return reasons;
        }

        if (info.Lock is { } locking)
        {
            foreach (var table in impact.Locked.Where(t => t.RowsBefore > policy.LockingDdlRowsOver))
            {
                var estimated = table.RowsBeforeEstimated ? ", estimated" : "";
                reasons.Add(new("locking_ddl", policy.LockingDdl,
                    $"{locking.What} holds {Article(locking.Mode)} {locking.Mode} lock on {table.QualifiedName} ({Number(table.RowsBefore!.Value)} rows{estimated}): {locking.Waits}"));
            }
        }

        reasons.AddRange(EffectReasons.For(policy, impact));
        if (impact.UnexplainedCatalogChange)
        {
            reasons.Add(new("unclassified", policy.Unclassified,
                $"'{ScriptAnalyzer.FirstWords(statement)}' changed the catalog though it is no DDL: a function or trigger it ran did something Backstop cannot account for"));
        }

        if (impact.ImpactUnknown && info.AllowedInTransaction)
        {
            reasons.Add(new("unclassified", policy.Unclassified, "its impact could not be measured or estimated"));
        }

        foreach (var table in impact.Tables.Where(t => t.HasPrimaryKey == false && t.Changed > 0))
        {
            reasons.Add(new("no_primary_key", policy.NoPrimaryKey, $"writes to {table.QualifiedName}, which has no primary key: undo could only match its rows by all their columns"));
        }

        foreach (var table in impact.Tables)
        {
            if (table.Fraction is { } fraction && fraction >= policy.TableFractionAtLeast && table.RowsBefore > policy.TableFractionMinRows)
            {
                var estimated = table.RowsBeforeEstimated || table.Estimated ? ", estimated" : "";
                reasons.Add(new("table_fraction", policy.TableFraction,
                    $"changes {fraction.ToString("P0", CultureInfo.InvariantCulture)} of {table.QualifiedName} ({Number(table.Updated + table.Deleted)} of {Number(table.RowsBefore!.Value)} rows{estimated})"));
            }
        }

        if (info.Kind == StatementKind.Delete)
        {
            var cascaded = impact.Tables.Where(t => t.Deleted + t.Updated > 0 && !IsTarget(info, t) && !impact.ViewBaseTables.Contains(t.QualifiedName)).ToList();
            var rows = cascaded.Sum(t => t.Deleted + t.Updated);
            if (rows > 0)
            {
                var verdict = rows > policy.CascadeLargeOver ? policy.CascadeLarge : policy.Cascade;
                var detail = string.Join(", ", cascaded.Select(t => $"{t.QualifiedName} {Number(t.Deleted + t.Updated)}"));
                reasons.Add(new("cascade", verdict, $"the DELETE cascades into {cascaded.Count} other table{(cascaded.Count == 1 ? "" : "s")}: {Number(rows)} rows ({detail})"));
            }
        }

        return reasons;
    }

    private static StatementVerdict Decide(int index, bool isWrite, List<PolicyReason> reasons)
    {
        var verdict = reasons.Select(r => r.Verdict).DefaultIfEmpty(Verdict.Allow).Max();
        var shown = reasons.Where(r => r.Verdict > Verdict.Allow).OrderByDescending(r => r.Verdict).ToList();
        if (shown.Count == 0)
        {
            shown.Add(new(isWrite ? "write" : "read", Verdict.Allow, isWrite ? "a write this tier allows" : "a read"));
        }
        else if (shown.Count > 1)
        {
            shown.RemoveAll(r => r.Rule == "write");
        }

        return new StatementVerdict(index, verdict, shown);
    }

    private static bool IsTarget(StatementInfo info, TableImpact table) =>
        info.Targets.Any(t => string.Equals(t.Name, table.Name, StringComparison.Ordinal) && (t.Schema is null || string.Equals(t.Schema, table.Schema, StringComparison.Ordinal)));

    private static string Article(string mode) => mode.StartsWith('A') || mode.StartsWith('E') ? "an" : "a";

    internal static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
