using System.Net;
using System.Text;
using Backstop.Core.Snapshots;
using Backstop.Core.Snapshots.Masking;

namespace Backstop.Core.Tests.Snapshots;

/// <summary>Keyed masking: the same key gives the same output in every table and run, another key another output.</summary>
public sealed class MaskerFactoryTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("the first snapshot key, 32 bytes or more");
    private static readonly byte[] OtherKey = Encoding.UTF8.GetBytes("another snapshot key, also 32 bytes or more");

    private static readonly TableRule Users = new("public", "users", false, null, []);
    private static readonly TableRule Leads = new("public", "leads", false, null, []);

    private static IValueMasker Masker(byte[] key, string kind, string? argument, string type, bool unique = false, TableRule? table = null, bool notNull = false) =>
        new SnapshotMaskerFactory(key, "en").Create(table ?? Users, new ColumnRule("c", Enum.Parse<MaskKind>(kind, ignoreCase: true), argument), new SnapshotColumn("c", type, notNull, unique));

    [Theory]
    [InlineData("fake", "email", "text", "ana@shop.example")]
    [InlineData("fake", "name", "character varying(200)", "Ana Lima")]
    [InlineData("fake", "phone", "text", "+49 30 1234567")]
    [InlineData("fake", "iban", "text", "DE89370400440532013000")]
    [InlineData("fake", "text", "text", "call me after six about the invoice")]
    [InlineData("hash", null, "text", "123-45-6789")]
    public void Mask_same_key_two_factories_gives_the_same_output_and_another_key_a_different_one(string kind, string? argument, string type, string original)
    {
        var first = Masker(Key, kind, argument, type).Mask(original);
        var again = Masker(Key, kind, argument, type).Mask(original);
        var other = Masker(OtherKey, kind, argument, type).Mask(original);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.NotEqual(original, first);
        Assert.IsType<string>(first);
    }

    [Fact]
    public void Mask_same_value_in_two_tables_gives_one_output_so_it_still_joins()
    {
        var usersKey = Masker(Key, "hash", null, "bigint", unique: true, table: Users).Mask(123L);
        var leadsForeignKey = Masker(Key, "hash", null, "integer", table: Leads).Mask(123);
        var email = Masker(Key, "fake", "email", "text", unique: true, table: Users).Mask("ana@shop.example");
        var emailElsewhere = Masker(Key, "fake", "email", "text", unique: true, table: Leads).Mask("ana@shop.example");

        Assert.NotEqual(123L, usersKey);
        Assert.Equal(usersKey, (long)(int)leadsForeignKey!);
        Assert.Equal(email, emailElsewhere);
    }

    [Fact]
    public void Mask_unique_emails_stay_unique_over_100000_distinct_values()
    {
        var masker = Masker(Key, "fake", "email", "character varying(60)", unique: true);
        var outputs = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < 100_000; i++)
        {
            var masked = (string)masker.Mask($"person{i}@shop.example")!;
            Assert.True(outputs.Add(masked), $"{masked} twice");
            Assert.True(masked.Length <= 60, masked);
            Assert.Matches("^[a-z0-9.]+@example\\.(com|net|org)$", masked);
        }
    }

    [Fact]
    public void Mask_fake_email_without_unique_looks_like_an_email_of_an_example_domain()
    {
        var masked = (string)Masker(Key, "fake", "email", "text").Mask("ana@shop.example")!;

        Assert.Matches("^[a-z0-9]+\\.[a-z0-9]+@example\\.(com|net|org)$", masked);
    }

    [Fact]
    public void Mask_fake_in_another_locale_is_deterministic_and_emails_stay_ascii()
    {
        var russian = new SnapshotMaskerFactory(Key, "ru").Create(Users, new ColumnRule("c", MaskKind.Fake, "email"), new SnapshotColumn("c", "text", false, false));
        var names = new SnapshotMaskerFactory(Key, "ru").Create(Users, new ColumnRule("c", MaskKind.Fake, "name"), new SnapshotColumn("c", "text", false, false));

        var emails = Enumerable.Range(0, 50).Select(i => (string)russian.Mask("a" + i)!).ToList();

        Assert.All(emails, e => Assert.Matches("^[a-z0-9.]+@example\\.(com|net|org)$", e));
        Assert.True(emails.Distinct(StringComparer.Ordinal).Count() > 40);
        Assert.Equal(names.Mask("Ana Lima"), new SnapshotMaskerFactory(Key, "ru").Create(Users, new ColumnRule("c", MaskKind.Fake, "name"), new SnapshotColumn("c", "text", false, false)).Mask("Ana Lima"));
        Assert.NotEqual(names.Mask("Ana Lima"), Masker(Key, "fake", "name", "text").Mask("Ana Lima"));
    }

    [Theory]
    [InlineData("name", 5)]
    [InlineData("text", 10)]
    [InlineData("company", 3)]
    public void Mask_fake_fits_the_varchar_limit(string kind, int limit)
    {
        var masker = Masker(Key, "fake", kind, $"character varying({limit})");

        for (var i = 0; i < 200; i++)
        {
            var masked = (string)masker.Mask("original value " + i)!;
            Assert.InRange(masked.Length, 1, limit);
        }
    }

    [Fact]
    public void Mask_hash_of_text_fits_the_varchar_limit_and_stays_unique()
    {
        var masker = Masker(Key, "hash", null, "character varying(16)", unique: true);
        var outputs = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < 20_000; i++)
        {
            var masked = (string)masker.Mask("ssn-" + i)!;
            Assert.Equal(16, masked.Length);
            Assert.True(outputs.Add(masked));
        }
    }

    [Theory]
    [InlineData("smallint", (long)short.MinValue, (long)short.MaxValue)]
    [InlineData("integer", (long)int.MinValue, (long)int.MaxValue)]
    [InlineData("bigint", long.MinValue, long.MaxValue)]
    public void Mask_hash_of_integers_keeps_type_sign_and_range(string type, long min, long max)
    {
        var masker = Masker(Key, "hash", null, type);
        object Typed(long v) => type switch { "smallint" => (short)v, "integer" => (int)v, _ => v };

        foreach (var value in Enumerable.Range(-2000, 4000).Select(v => (long)v).Concat([min, max, min + 1, max - 1]))
        {
            var masked = masker.Mask(Typed(value));

            Assert.Equal(Typed(value).GetType(), masked!.GetType());
            Assert.Equal(value >= 0, Convert.ToInt64(masked) >= 0);
            Assert.InRange(Convert.ToInt64(masked), min, max);
        }
    }

    [Fact]
    public void Mask_hash_of_small_integers_is_a_bijection_so_a_unique_key_stays_unique()
    {
        var masker = Masker(Key, "hash", null, "smallint", unique: true);

        var masked = Enumerable.Range(0, 1 << 15).Select(v => (short)masker.Mask((short)v)!).ToHashSet();
        var negative = Enumerable.Range(1, 1 << 15).Select(v => (short)masker.Mask((short)-v)!).ToHashSet();

        Assert.Equal(1 << 15, masked.Count);
        Assert.All(masked, v => Assert.True(v >= 0));
        Assert.Equal(1 << 15, negative.Count);
        Assert.All(negative, v => Assert.True(v < 0));
    }

    [Fact]
    public void Mask_hash_of_uuid_and_bytea_gives_keyed_values_of_the_same_type()
    {
        var id = Guid.Parse("0b8e7c1e-5b7a-4c55-9a43-1f2f0f3b6a10");
        var uuid = (Guid)Masker(Key, "hash", null, "uuid").Mask(id)!;
        var bytes = (byte[])Masker(Key, "hash", null, "bytea").Mask(new byte[] { 1, 2, 3 })!;

        Assert.NotEqual(id, uuid);
        Assert.Equal(4, uuid.Version);
        Assert.Equal(uuid, Masker(Key, "hash", null, "uuid").Mask(id));
        Assert.NotEqual(uuid, Masker(OtherKey, "hash", null, "uuid").Mask(id));
        Assert.Equal(32, bytes.Length);
    }

    [Fact]
    public void Mask_set_converts_the_constant_to_the_column_type_and_null_gives_null()
    {
        static IValueMasker Set(string argument, string type) =>
            new SnapshotMaskerFactory(Key, "en").Create(Users, new ColumnRule("c", MaskKind.Set, argument), new SnapshotColumn("c", type, false, false));

        Assert.Equal("XX", Set("XX", "character(2)").Mask("DE"));
        Assert.Equal(7, Set("7", "integer").Mask(42));
        Assert.Equal(1.5m, Set("1.5", "numeric(4,2)").Mask(3.25m));
        Assert.Equal(new DateOnly(2000, 1, 1), Set("2000-01-01", "date").Mask(new DateOnly(1987, 6, 5)));
        Assert.Equal(IPAddress.Parse("10.0.0.1"), Set("10.0.0.1", "inet").Mask(IPAddress.Parse("192.168.1.2")));
        Assert.Equal(false, Set("false", "boolean").Mask(true));
        Assert.Null(Masker(Key, "null", null, "text").Mask("secret"));
    }

    [Fact]
    public void Mask_date_shift_moves_by_at_most_the_days_and_never_by_zero()
    {
        var rule = new ColumnRule("born", MaskKind.Fake, "date_shift") { ShiftDays = 10 };
        var masker = new SnapshotMaskerFactory(Key, "en").Create(Users, rule, new SnapshotColumn("born", "date", true, false));
        var timestamps = new SnapshotMaskerFactory(Key, "en").Create(Users, rule, new SnapshotColumn("at", "timestamp with time zone", true, false));
        var shifts = new HashSet<int>();

        for (var i = 0; i < 500; i++)
        {
            var original = new DateOnly(1980, 1, 1).AddDays(i);
            var shifted = (DateOnly)masker.Mask(original)!;
            var days = shifted.DayNumber - original.DayNumber;
            Assert.InRange(Math.Abs(days), 1, 10);
            shifts.Add(days);
        }

        var at = new DateTime(2024, 5, 1, 13, 45, 0, DateTimeKind.Utc);
        var moved = (DateTime)timestamps.Mask(at)!;
        Assert.Equal(DateTimeKind.Utc, moved.Kind);
        Assert.Equal(at.TimeOfDay, moved.TimeOfDay);
        Assert.True(shifts.Count > 10, "the shift depends on the value");
    }

    [Fact]
    public void Mask_fake_ip_of_an_inet_column_is_an_address_and_unique_ones_are_distinct()
    {
        var masked = Masker(Key, "fake", "ip", "inet").Mask(IPAddress.Parse("203.0.113.9"));
        var unique = Masker(Key, "fake", "ip", "inet", unique: true);

        Assert.IsType<IPAddress>(masked);
        Assert.NotEqual(IPAddress.Parse("203.0.113.9"), masked);
        Assert.NotEqual(unique.Mask(IPAddress.Parse("203.0.113.9")), unique.Mask(IPAddress.Parse("203.0.113.10")));
    }

    [Fact]
    public void Mask_nulls_pass_through_unless_set()
    {
        Assert.Null(Masker(Key, "fake", "email", "text").Mask(null));
        Assert.Equal(DBNull.Value, Masker(Key, "hash", null, "integer").Mask(DBNull.Value));
    }

    [Fact]
    public void Mask_unique_column_whose_outputs_collide_fails_naming_the_column_and_rule()
    {
        // varchar(14) leaves room for no more than the suffix; two equal inputs in a unique column are a collision too.
        var masker = Masker(Key, "fake", "name", "text", unique: true);
        masker.Mask("Ana Lima");

        var error = Assert.Throws<UniquenessLostException>(() => masker.Mask("Ana Lima"));

        Assert.Equal("public.users.c", error.Column);
        Assert.StartsWith("masking public.users.c with { fake: name } gave two rows the same value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GuardUniqueness_repeated_output_of_a_pipeline_rule_fails_naming_the_column_and_rule()
    {
        var guard = new SnapshotMaskerFactory(Key, "en").GuardUniqueness(Users, new ColumnRule("code", MaskKind.Sql, "upper(code)"), new SnapshotColumn("code", "text", true, true));
        guard.Add("A-1");
        guard.Add(null);
        guard.Add(null);

        var error = Assert.Throws<UniquenessLostException>(() => guard.Add("A-1"));

        Assert.StartsWith("masking public.users.code with { sql: \"upper(code)\" } gave two rows the same value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_rule_the_check_refuses_is_refused_here_too()
    {
        var factory = new SnapshotMaskerFactory(Key, "en");

        Assert.Throws<InvalidOperationException>(() => factory.Create(Users, new ColumnRule("c", MaskKind.Fake, "email"), new SnapshotColumn("c", "integer", false, false)));
        Assert.Throws<ArgumentException>(() => new SnapshotMaskerFactory(new byte[16], "en"));
    }
}
