using Backstop.Core.Audit;
using Backstop.Core.Tests.State;
using Backstop.Testing;

namespace Backstop.Core.Tests.Audit;

/// <summary>A log of 100,000 entries with checkpoints along it verifies whole (its speed is measured in bench/, not here).</summary>
[Trait("Area", "Audit")]
public sealed class AuditLargeLogTests
{
    [Fact]
    [Trait(TestSpeed.Name, TestSpeed.Slow)]
    public async Task VerifyAsync_100000_entries_with_ten_checkpoints_verifies_all_and_finds_one_altered_near_the_end()
    {
        using var test = await AuditTestLog.CreateAsync(TestStores.Sqlite);
        using var key = test.Key();
        for (var batch = 0; batch < 10; batch++)
        {
            await test.Log.AppendAllAsync(Enumerable.Range((batch * 10_000) + 1, 10_000).Select(AuditTestLog.Record).ToList(), CancellationToken.None);
            await test.Log.CheckpointAsync(key, CancellationToken.None);
        }

        var intact = await AuditVerifier.VerifyAsync(test.Log, key.PublicKeyPem, CancellationToken.None);
        var json = await test.JsonAsync(99_990);
        await test.TamperAsync("UPDATE audit_entries SET entry = @entry WHERE seq = 99990", ("entry", json.Replace("\"ok\"", "\"failed\"", StringComparison.Ordinal)));
        var altered = await AuditVerifier.VerifyAsync(test.Log, key.PublicKeyPem, CancellationToken.None);

        Assert.Equal("100000 entries, 10 checkpoints verified", intact.ToString());
        Assert.Equal("entry 99990 was altered (its content does not match its hash)", altered.Problem);
        Assert.Equal(9, altered.Checkpoints);
    }
}
