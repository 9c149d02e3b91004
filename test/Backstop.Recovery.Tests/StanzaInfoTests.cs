using Backstop.Recovery.Pitr;

namespace Backstop.Recovery.Tests;

public sealed class StanzaInfoTests
{
    // pgbackrest 2.45 `info --output=json`, one full and one incremental backup.
    private const string Json = """
        [{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000010000000000000007","min":"000000010000000000000001"}],
          "backup":[
            {"archive":{"start":"000000010000000000000002","stop":"000000010000000000000003"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,
             "info":{"delta":22992557,"repository":{"delta":3043468,"size":3043468},"size":22992557},"label":"20261121-150504F","lsn":{"start":"0/2000028","stop":"0/3000050"},
             "prior":null,"reference":null,"timestamp":{"start":1795273504,"stop":1795273507},"type":"full"},
            {"archive":{"start":"000000010000000000000006","stop":"000000010000000000000006"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":true,
             "info":{"delta":8192,"repository":{"delta":1024,"size":3044492},"size":22992557},"label":"20261121-150504F_20261121-151000I","lsn":{"start":"0/6000028","stop":"0/6000100"},
             "prior":"20261121-150504F","reference":["20261121-150504F"],"timestamp":{"start":1795273800,"stop":1795273801},"type":"incr"}],
          "cipher":"none","db":[{"id":1,"repo-key":1,"system-id":7710640977003743777,"version":"15"}],"name":"prod",
          "repo":[{"cipher":"none","key":1,"status":{"code":0,"message":"ok"}}],"status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}]
        """;

    [Fact]
    public void Parse_reads_labels_types_times_sizes_and_errors_oldest_first()
    {
        var info = StanzaInfo.Parse(Json, "prod");

        Assert.Equal(0, info.StatusCode);
        Assert.Equal("000000010000000000000007", info.ArchiveMax);
        Assert.Equal(["20261121-150504F", "20261121-150504F_20261121-151000I"], info.Backups.Select(b => b.Label));
        var full = info.Backups[0];
        Assert.Equal("full", full.Type);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795273507), full.StoppedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795273508), full.RecoverableFrom);
        Assert.Equal(3043468, full.RepositoryBytes);
        Assert.False(full.HasErrors);
        Assert.True(info.Backups[1].HasErrors);
    }

    [Fact]
    public void Parse_unknown_stanza_names_it()
    {
        var error = Assert.Throws<PitrException>(() => StanzaInfo.Parse(Json, "staging"));

        Assert.Equal("pgbackrest info does not list the stanza 'staging'", error.Message);
    }
}
