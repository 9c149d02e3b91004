using Backstop.Core.Audit;

namespace Backstop.Core.Tests.Audit;

/// <summary>An entry has one canonical text, which holds its number and the previous entry's hash.</summary>
public sealed class AuditEntryTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 4, 10, 11, 12, TimeSpan.FromHours(2));

    private static readonly AuditRecord Approval = new()
    {
        Actor = "bob",
        From = "10.0.0.7",
        Action = "approve",
        Environment = "prod",
        Object = "request 4",
        Outcome = "ok",
        Detail = new Dictionary<string, string> { ["script_sha256"] = "9f86", ["note"] = "ça \"marche\"", ["Z"] = "upper first" },
    };

    [Fact]
    public void ToCanonicalJson_entry_fixed_property_order_sorted_detail_utc_microseconds_no_whitespace()
    {
        var entry = AuditEntry.Create(7, new string('a', 64), At.AddTicks(1234567), Approval);

        Assert.Equal(
            """{"seq":7,"prev":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","at":"2026-03-04T08:11:12.123456Z","actor":"bob","from":"10.0.0.7","action":"approve","environment":"prod","object":"request 4","outcome":"ok","detail":{"Z":"upper first","note":"ça \"marche\"","script_sha256":"9f86"}}""",
            entry.ToCanonicalJson());
    }

    [Fact]
    public void ToCanonicalJson_absent_fields_are_null_and_present()
    {
        var entry = AuditEntry.Create(1, AuditEntry.NoPrevious, At, new AuditRecord { Actor = "alice", Action = "signin.failed", Outcome = "denied" });

        Assert.Equal(
            $$"""{"seq":1,"prev":"{{AuditEntry.NoPrevious}}","at":"2026-03-04T08:11:12.000000Z","actor":"alice","from":null,"action":"signin.failed","environment":null,"object":null,"outcome":"denied","detail":null}""",
            entry.ToCanonicalJson());
    }

    [Fact]
    public void Parse_canonical_json_gives_back_the_same_text()
    {
        var json = AuditEntry.Create(7, new string('b', 64), At, Approval).ToCanonicalJson();

        var entry = AuditEntry.Parse(json);

        Assert.Equal(json, entry.ToCanonicalJson());
        Assert.Equal(7, entry.Seq);
        Assert.Equal("ça \"marche\"", entry.Detail!["note"]);
        Assert.Equal(TimeSpan.Zero, entry.At.Offset);
    }

    [Fact]
    public void LeafHash_same_record_other_number_or_previous_hash_differs()
    {
        var entry = AuditEntry.Create(7, new string('a', 64), At, Approval);

        Assert.NotEqual(entry.LeafHash(), (entry with { Seq = 8 }).LeafHash());
        Assert.NotEqual(entry.LeafHash(), (entry with { Previous = new string('c', 64) }).LeafHash());
        Assert.Equal(entry.LeafHash(), AuditEntry.Create(7, new string('a', 64), At, Approval).LeafHash());
    }

    [Theory]
    [InlineData("""{"prev":"00","seq":1,"at":"2026-03-04T08:11:12.000000Z","actor":"a","from":null,"action":"x","environment":null,"object":null,"outcome":"ok","detail":null}""")]
    [InlineData("""{"seq":1,"prev":"00","at":"2026-03-04T08:11:12.000000Z","actor":null,"from":null,"action":"x","environment":null,"object":null,"outcome":"ok","detail":null}""")]
    [InlineData("""{"seq":1,"prev":"00","at":"yesterday","actor":"a","from":null,"action":"x","environment":null,"object":null,"outcome":"ok","detail":null}""")]
    [InlineData("[1]")]
    [InlineData("{")]
    public void Parse_text_that_is_not_an_entry_throws_FormatException(string json) =>
        Assert.Throws<FormatException>(() => AuditEntry.Parse(json));

    [Fact]
    public void Create_record_without_actor_throws() =>
        Assert.Throws<ArgumentException>(() => AuditEntry.Create(1, AuditEntry.NoPrevious, At, Approval with { Actor = " " }));
}
