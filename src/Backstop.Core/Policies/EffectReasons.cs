using Backstop.Core.Preview;

namespace Backstop.Core.Policies;

/// <summary>
/// The rules for what the catalog showed a statement did (D10), whatever ran it: destroying rows, columns or tables is
/// <c>destructive_ddl</c> like the statements that say so; what Backstop cannot keep is <c>unkeepable</c>; a rewrite of a
/// large table is <c>locking_ddl</c>.
/// </summary>
internal static class EffectReasons
{
    public static IEnumerable<PolicyReason> For(TierPolicy policy, StatementImpact impact)
    {
        foreach (var effect in impact.Effects)
        {
            if (effect.Destroys)
            {
                yield return new("destructive_ddl", policy.DestructiveDdl, effect.Describe());
            }

            if (!effect.Keepable)
            {
                yield return new("unkeepable", policy.Unkeepable,
                    $"{effect.Describe()}, which Backstop cannot keep for undo: {effect.QualifiedName} has no primary key to put the values back by; add one first, or keep a copy of the table");
            }

            if (effect.Kind == EffectKind.RewrittenTable && effect.Count > policy.LockingDdlRowsOver)
            {
                yield return new("locking_ddl", policy.LockingDdl, $"{effect.Describe()}: every read and write of it waits until the rewrite finishes");
            }
        }
    }
}
