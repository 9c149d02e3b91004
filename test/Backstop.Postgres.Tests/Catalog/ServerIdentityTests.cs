using Backstop.Postgres.Catalog;

namespace Backstop.Postgres.Tests.Catalog;

public sealed class ServerIdentityTests
{
    private static readonly ServerIdentity Recorded = new("7301234567890123456", "shop", "db.example.com", 5432, 16384);

    [Fact]
    public void DifferenceFrom_same_name_other_oid_names_both_oids()
    {
        var recreated = Recorded with { DatabaseOid = 16390 };

        Assert.Equal(
            "database OID 16390, expected 16384: database 'shop' was dropped and created again under the same name, or restored from a dump",
            recreated.DifferenceFrom(Recorded));
    }

    [Fact]
    public void DifferenceFrom_recorded_without_oid_is_the_same_target_that_completes_it()
    {
        var old = Recorded with { DatabaseOid = null };

        Assert.Null(Recorded.DifferenceFrom(old));
        Assert.True(Recorded.Completes(old));
        Assert.False(Recorded.Completes(Recorded));
    }

    [Fact]
    public void Completes_recorded_without_oid_on_another_cluster_is_false()
    {
        var old = Recorded with { DatabaseOid = null, SystemIdentifier = "7299000000000000001" };

        Assert.False(Recorded.Completes(old));
        Assert.Contains("system identifier 7301234567890123456, expected 7299000000000000001", Recorded.DifferenceFrom(old), StringComparison.Ordinal);
    }
}
