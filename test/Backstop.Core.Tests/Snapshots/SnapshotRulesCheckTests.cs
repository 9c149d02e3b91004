using Backstop.Core.Snapshots;
using Backstop.Core.Snapshots.Rules;

namespace Backstop.Core.Tests.Snapshots;

/// <summary>The strict check on a catalog given by hand; SnapshotRulesTests (CLI tests) runs it on a live database.</summary>
public sealed class SnapshotRulesCheckTests
{
    private static readonly SnapshotCatalogTable Users = new("public", "users",
        [
            new SnapshotColumn("id", "integer", true, true),
            new SnapshotColumn("email", "character varying(20)", true, true),
            new SnapshotColumn("country", "character(2)", false, false),
            new SnapshotColumn("born", "date", false, false),
        ],
        new HashSet<string>(["id"], StringComparer.Ordinal));

    private static SnapshotSettings Settings(params ColumnRule[] users) =>
        SnapshotSettings.Empty with { Tables = [new TableRule("public", "users", false, null, users)] };

    [Fact]
    public void Check_rules_that_fit_every_column_find_no_problem()
    {
        var problems = SnapshotRulesCheck.Check([Users], Settings(
            new ColumnRule("id", MaskKind.Keep, null, "integer"),
            new ColumnRule("email", MaskKind.Hash, null, "character varying(20)"),
            new ColumnRule("country", MaskKind.Set, "XX", "character(2)"),
            new ColumnRule("born", MaskKind.Fake, "date_shift", "date")));

        Assert.Empty(problems);
    }

    [Fact]
    public void Check_finds_every_problem_at_once_each_naming_its_column_and_the_line_to_write()
    {
        var problems = SnapshotRulesCheck.Check([Users, Users with { Table = "leads" }], Settings(
            new ColumnRule("id", MaskKind.Shuffle, null, "bigint"),
            new ColumnRule("email", MaskKind.Null),
            new ColumnRule("country", MaskKind.Set, "XXX"),
            new ColumnRule("born", MaskKind.Fake, "email", "date"),
            new ColumnRule("ssn", MaskKind.Hash, null, "text")));

        Assert.Equal(
            [
                ("public.users.id", "the column is now integer, but its rule was written for bigint"),
                ("public.users.email", "null on a NOT NULL column"),
                ("public.users.country", "the constant does not fit the column: 'XXX' is longer than character(2) allows (2 characters)"),
                ("public.users.born", "fake: email cannot produce a date value; fakes that fit it: date_shift"),
                ("public.users.ssn", "the rule names a column that does not exist (dropped or renamed?)"),
                ("public.leads", "the table has no rules"),
            ],
            problems.Select(p => (p.Object, p.Reason)).OrderBy(p => p.Object.StartsWith("public.leads", StringComparison.Ordinal)).ToList());
        Assert.Contains("`id: { shuffle, type: integer }`", problems[0].Fix, StringComparison.Ordinal);
        Assert.Contains("remove the line `ssn: { hash, type: text }`", problems.Single(p => p.Object == "public.users.ssn").Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_unique_columns_refuse_set_shuffle_and_fakes_too_short_to_stay_unique()
    {
        var problems = SnapshotRulesCheck.Check([Users], Settings(
            new ColumnRule("id", MaskKind.Set, "1"),
            new ColumnRule("email", MaskKind.Fake, "email"),
            new ColumnRule("country", MaskKind.Keep),
            new ColumnRule("born", MaskKind.Keep)));
        var shuffled = SnapshotRulesCheck.Check([Users], Settings(
            new ColumnRule("id", MaskKind.Shuffle),
            new ColumnRule("email", MaskKind.Hash),
            new ColumnRule("country", MaskKind.Keep),
            new ColumnRule("born", MaskKind.Keep)));

        Assert.Equal(["public.users.id", "public.users.email"], problems.Select(p => p.Object));
        Assert.Equal("set gives every row one value, and the column is unique", problems[0].Reason);
        Assert.StartsWith("character varying(20) is too short for a unique fake email", problems[1].Reason, StringComparison.Ordinal);
        Assert.StartsWith("shuffle hands each row another row's value", Assert.Single(shuffled).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_column_without_a_rule_suggests_its_line()
    {
        var problems = SnapshotRulesCheck.Check([Users], Settings(
            new ColumnRule("id", MaskKind.Keep),
            new ColumnRule("country", MaskKind.Keep),
            new ColumnRule("born", MaskKind.Keep)));

        var problem = Assert.Single(problems);
        Assert.Equal("public.users.email", problem.Object);
        Assert.Equal("the column (character varying(20)) has no rule", problem.Reason);
        Assert.StartsWith("add `email: { hash, type: character varying(20) }` under snapshot.tables.public.users.columns", problem.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Suggest_unique_email_too_short_for_a_unique_fake_is_hashed_instead()
    {
        var suggestion = RuleSuggester.Suggest(Users, Users.Columns[1]);

        Assert.Equal(new ColumnRule("email", MaskKind.Hash, null, "character varying(20)"), suggestion.Rule);
        Assert.StartsWith("the name looks like an email, but character varying(20) is too short for a unique fake email", suggestion.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_excluded_table_needs_no_column_rules_and_a_rule_for_a_missing_table_is_a_problem()
    {
        var settings = SnapshotSettings.Empty with
        {
            Tables = [new TableRule("public", "users", true, null, []), new TableRule("public", "gone", true, null, [])],
        };

        var problem = Assert.Single(SnapshotRulesCheck.Check([Users], settings));

        Assert.Equal("public.gone", problem.Object);
        Assert.Equal("remove the entry `public.gone:` from snapshot.tables", problem.Fix);
    }
}
