using Backstop.Core.Snapshots;
using Backstop.Cli.Commands;

namespace Backstop.Cli.Tests.Snapshots;

/// <summary>Rules for <see cref="SnapshotSchema"/>, and the inputs that hand them and the real maskers to the commands.</summary>
internal static class SnapshotRules
{
    public const string KeyVariable = "SNAPSHOT_TEST_KEY";

    public static TableRule Table(string name, params ColumnRule[] columns) => new("public", name, false, null, columns);

    public static ColumnRule Keep(string column) => new(column, MaskKind.Keep);

    public static ColumnRule Fake(string column, string kind = "text") => new(column, MaskKind.Fake, kind);

    /// <summary>Every personal column masked; keys, foreign keys and business data kept.</summary>
    public static List<TableRule> Masked() =>
    [
        Table("organizations", Keep("id"), Keep("name")),
        Table("users", Keep("id"), Keep("organization_id"), Fake("name", "name"), Fake("email", "email"), Fake("phone", "phone"), Keep("signed_up")),
        Table("leads", Keep("id"), Keep("user_id"), Fake("name", "name"), Fake("email", "email"), Fake("phone", "phone"), Keep("score")),
        Table("conversations", Keep("id"), Keep("lead_id"), Fake("body", "text")),
        Table("orders", Keep("id"), Keep("source"), Keep("is_deleted")),
    ];

    public static SnapshotInputs Inputs(IReadOnlyList<TableRule> tables) => new(
        _ => new SnapshotSettings(tables, "env:" + KeyVariable, "en"),
        (settings, key) => new Core.Snapshots.Masking.SnapshotMaskerFactory(key, settings.Locale));
}
