using Backstop.Core.Configuration;
using Backstop.Core.Snapshots;
using Backstop.Core.Snapshots.Rules;

namespace Backstop.Core.Tests.Snapshots;

/// <summary>What <c>snapshot rules --write</c> writes reads back as the same rules, awkward names and values included.</summary>
public sealed class SnapshotRulesYamlTests
{
    [Fact]
    public void Section_reads_back_as_the_same_settings()
    {
        var settings = new SnapshotSettings(
            [
                new TableRule("public", "users", false, "id % 10 = 0 AND note <> 'x'",
                [
                    new ColumnRule("id", MaskKind.Keep, null, "integer"),
                    new ColumnRule("Email Address", MaskKind.Fake, "email", "character varying(200)"),
                    new ColumnRule("price", MaskKind.Set, "12.50", "numeric(10,2)"),
                    new ColumnRule("quote", MaskKind.Set, "it's \"quoted\" \\ here: #1, [a] {b}", "text"),
                    new ColumnRule("empty", MaskKind.Set, "", "text"),
                    new ColumnRule("flag", MaskKind.Set, "true", "boolean"),
                    new ColumnRule("nothing", MaskKind.Set, "null", "text"),
                    new ColumnRule("month", MaskKind.Sql, "date_trunc('month', created_at)", "timestamp(3) with time zone"),
                    new ColumnRule("born", MaskKind.Fake, "date_shift", "date") { ShiftDays = 7 },
                    new ColumnRule("notes", MaskKind.Null),
                    new ColumnRule("score", MaskKind.Shuffle, null, "integer[]"),
                    new ColumnRule("ssn", MaskKind.Hash, null, "text"),
                ]),
                new TableRule("audit", "blobs", true, null, []),
                new TableRule("My Schema", "Odd.Table", false, null, [new ColumnRule("x", MaskKind.Keep)]),
            ],
            "file:/etc/backstop/snapshot key",
            "de");

        var lines = SnapshotRulesYaml.Section(settings, new Dictionary<string, string>(StringComparer.Ordinal) { ["public.users.ssn"] = "new: looks secret" });
        var text = "environments:\n  prod:\n    url: postgresql://db/shop\n    tier: production\n" + string.Join('\n', lines) + "\n";
        var read = ConfigLoader.Parse(text, "/srv/backstop.yaml").Environment("prod").Snapshot;

        Assert.Equal(settings.KeyReference, read.KeyReference);
        Assert.Equal(settings.Locale, read.Locale);
        Assert.Equal(settings.Tables.Count, read.Tables.Count);
        for (var i = 0; i < settings.Tables.Count; i++)
        {
            Assert.Equal(settings.Tables[i] with { Columns = [] }, read.Tables[i] with { Columns = [] });
            Assert.Equal(settings.Tables[i].Columns, read.Tables[i].Columns);
        }

        Assert.Contains("            ssn: { hash, type: text }  # new: looks secret", lines);
    }
}
