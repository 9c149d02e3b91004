using Backstop.Core.Capture;
using Backstop.Core.Migrations;
using Backstop.Core.State;

namespace Backstop.Core.Tests.Migrations;

/// <summary>
/// Released migrations never change: a database that ran migration N must hold what migration N says, or the next
/// Backstop misreads it. Each migration's text is pinned here by SHA-256; changing a schema means adding migration N+1
/// (a new file under Capture/Migrations or State/Migrations) and its line below.
/// </summary>
[Trait("Area", "State")]
public sealed class MigrationHistoryTests
{
    private static readonly (int Version, string Sha256)[] Capture =
    [
        (4, "9214933a6f0ad8587feb974b790d32ce75c224a243817304747cb06f804cb7df"),
        (5, "01ca07949a0b11651d52ea0010b1bc3e066372bfb5415162ca3a98749f684db3"),
        (6, "601260a8f5a64ec8b206086b9f9a54e03374136243dcd6c4ab98af9aa5d1b530"),
    ];

    private static readonly (int Version, string Sha256)[] StateSqlite =
    [
        (1, "d4ec76b07bba34b44bed685d7a5c1ede765841e440843db3543064d2c8d382a8"),
        (2, "b209be005800dc71f0d11d4538df0ccf25e0e89f40adcf3120b9818d95926d73"),
        (3, "132d7ce514ad144a7701844a4b7ad01e6857dbfaa0e0ef2a3c599b11178c02f2"),
        (4, "1e7ae2fc13356a3350a01637bd840553701cf6486afc830cbbf40aa4bf596fb4"),
        (5, "2894bd824e1e5fc68d83776fe1965dd08f6d55d03e6a32f2d2792ce9e7af511e"),
        (6, "38be93398623b28286842bc3816f3c6c3356148029f337a9ac9716a9dbe75d6f"),
        (7, "ab363838b057d1eece9f27e15b6f7613cce85d475b19f21bdc1f343562c0c810"),
    ];

    private static readonly (int Version, string Sha256)[] StatePostgresql =
    [
        (1, "df9dae8faa549b2c5809b1285783610b937edc237d86b6e76d21ffe368f3df42"),
        (2, "c2d895e8f0e54daaddfabb4ac4f78c148155ef0e5414b46092ec5802a83bca19"),
        (3, "a92457a3ba1a3bdc879c7b28c794d875cb8f92dd84a90295359a31f0bad6da72"),
        (4, "44e97141c49f599e31016514387f71dd32b2adee8452395262b733fbf6b6c5d0"),
        (5, "c21354f6d03bf766a58d7becd42a0ed76a8c0ecb778756520d3b3240be219595"),
        (6, "a0171abd2f4d83cf82083e2b4a3ccc9cdb65c75fa0c64ac747dd0a52bc4fff1d"),
        (7, "2dc9f755706131e8d4b80f883d5393fba5ac828645f3446fe828a31aadaf37a7"),
    ];

    [Fact]
    public void Capture_migrations_are_the_released_ones()
    {
        AssertReleased("Capture/Migrations", CaptureSchema.Migrations, Capture);
        Assert.Equal(Capture[^1].Version, CaptureSchema.Version);
    }

    [Fact]
    public void State_migrations_for_SQLite_are_the_released_ones()
    {
        AssertReleased("State/Migrations/Sqlite", StateSchema.Sqlite, StateSqlite);
        Assert.Equal(StateSqlite[^1].Version, StateSchema.Version);
    }

    [Fact]
    public void State_migrations_for_PostgreSQL_are_the_released_ones() =>
        AssertReleased("State/Migrations/Postgresql", StateSchema.Postgresql, StatePostgresql);

    [Fact]
    public void State_migrations_are_numbered_and_named_alike_for_both_stores() =>
        Assert.Equal(StateSchema.Sqlite.Select(m => (m.Version, m.Name)), StateSchema.Postgresql.Select(m => (m.Version, m.Name)));

    private static void AssertReleased(string folder, IReadOnlyList<Migration> migrations, (int Version, string Sha256)[] released)
    {
        foreach (var migration in migrations)
        {
            var pinned = released.Where(r => r.Version == migration.Version).Select(r => r.Sha256).FirstOrDefault();
            Assert.True(pinned is not null,
                $"{folder}: migration {migration.Version} ({migration.Name}) is new; once it is final, pin it in {nameof(MigrationHistoryTests)}: ({migration.Version}, \"{migration.Sha256}\")");
            Assert.True(pinned == migration.Sha256,
                $"{folder}: migration {migration.Version} ({migration.Name}) was changed after its release (SHA-256 {migration.Sha256}, released {pinned}); " +
                $"databases that ran it would not get the change. Put it back and add migration {migrations[^1].Version + 1} instead");
        }

        Assert.Equal(released.Select(r => r.Version), migrations.Select(m => m.Version));
    }
}
