using Backstop.Core.Policies;
using YamlDotNet.RepresentationModel;

namespace Backstop.Core.Configuration;

/// <summary>Reads a tier's policy overrides; keys not given keep the tier's defaults.</summary>
internal static class PolicyReader
{
    private static readonly string[] Keys =
    [
        "all_rows", "all_rows_acknowledged", "drop_database", "drop_database_backup_within", "destructive_ddl",
        "total_rows", "total_rows_over", "table_fraction", "table_fraction_at_least", "table_fraction_min_rows",
        "recovery", "cascade", "cascade_large", "cascade_large_over", "freeze", "freeze_window", "unclassified", "no_primary_key", "write", "read",
        "unkeepable", "locking_ddl", "locking_ddl_rows_over", "privileges",
        "approvals", "break_glass", "staged_first", "staged_window",
    ];

    public static TierPolicy Read(YamlReader read, TierPolicy policy, YamlNode node, string where)
    {
        foreach (var (key, value) in read.Entries(read.Mapping(node, where), where, Keys))
        {
            policy = key switch
            {
                "all_rows" => policy with { AllRows = read.Enum<Verdict>(value, key) },
                "all_rows_acknowledged" => policy with { AllRowsAcknowledged = read.Enum<Verdict>(value, key) },
                "drop_database" => policy with { DropDatabase = read.Enum<Verdict>(value, key) },
                "drop_database_backup_within" => policy with { DropDatabaseBackupWithin = ReadOptionalDuration(read, value, key) },
                "destructive_ddl" => policy with { DestructiveDdl = read.Enum<Verdict>(value, key) },
                "total_rows" => policy with { TotalRows = read.Enum<Verdict>(value, key) },
                "total_rows_over" => policy with { TotalRowsOver = read.Long(value, key, 0) },
                "table_fraction" => policy with { TableFraction = read.Enum<Verdict>(value, key) },
                "table_fraction_at_least" => policy with { TableFractionAtLeast = read.Fraction(value, key) },
                "table_fraction_min_rows" => policy with { TableFractionMinRows = read.Long(value, key, 0) },
                "cascade" => policy with { Cascade = read.Enum<Verdict>(value, key) },
                "cascade_large" => policy with { CascadeLarge = read.Enum<Verdict>(value, key) },
                "recovery" => policy with { Recovery = read.Enum<Verdict>(value, key) },
                "cascade_large_over" => policy with { CascadeLargeOver = read.Long(value, key, 0) },
                "freeze" => policy with { Freeze = read.Enum<Verdict>(value, key) },
                "freeze_window" => policy with { FreezeWindow = ReadWindow(read, value) },
                "unclassified" => policy with { Unclassified = read.Enum<Verdict>(value, key) },
                "no_primary_key" => policy with { NoPrimaryKey = read.Enum<Verdict>(value, key) },
                "write" => policy with { Write = read.Enum<Verdict>(value, key) },
                "unkeepable" => policy with { Unkeepable = read.Enum<Verdict>(value, key) },
                "locking_ddl" => policy with { LockingDdl = read.Enum<Verdict>(value, key) },
                "locking_ddl_rows_over" => policy with { LockingDdlRowsOver = read.Long(value, key, 0) },
                "privileges" => policy with { Privileges = read.Enum<Verdict>(value, key) },
                "approvals" => policy with { Approvals = (int)Math.Min(read.Long(value, key, 1), 10) },
                "break_glass" => policy with { BreakGlass = read.Bool(value, key) },
                "staged_first" => policy with { StagedFirst = read.Enum<Verdict>(value, key) },
                "staged_window" => policy with { StagedWindow = read.Duration(value, key) },
                _ => policy with { Read = read.Enum<Verdict>(value, key) },
            };
        }

        return policy;
    }

    private static TimeSpan? ReadOptionalDuration(YamlReader read, YamlNode value, string key) =>
        read.Scalar(value, key).Equals("none", StringComparison.OrdinalIgnoreCase) ? null : read.Duration(value, key);

    private static FreezeWindow? ReadWindow(YamlReader read, YamlNode value)
    {
        var text = read.Scalar(value, "freeze_window");
        if (text.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return FreezeWindow.TryParse(text, out var window)
            ? window
            : throw read.Error(value, $"'freeze_window' is '{text}'; expected a weekly window like \"Fri 16:00 - Mon 08:00\", or none");
    }
}
