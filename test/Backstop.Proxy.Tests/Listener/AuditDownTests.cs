using Npgsql;

namespace Backstop.Proxy.Tests.Listener;

/// <summary>An audit log that cannot be written: no person's session starts unaudited (issue 16, point 5).</summary>
public sealed class AuditDownTests(ListenerDatabase database) : IClassFixture<ListenerDatabase>
{
    [Fact]
    public async Task Person_session_is_refused_with_ZB006_while_the_audit_log_is_down_and_starts_once_it_is_back()
    {
        await using var proxy = database.Start();
        proxy.Backend.AuditUp = false;

        await using (var refused = new NpgsqlConnection(proxy.NpgsqlConnectionString()))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
            Assert.Equal("ZB006", error.SqlState);
            Assert.Equal("FATAL", error.Severity);
        }

        // A service account is refused too, unless service_sessions_without_audit says otherwise.
        await using (var service = new NpgsqlConnection(proxy.NpgsqlConnectionString("app", ListenerBackend.AppPassword)))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => service.OpenAsync());
            Assert.Equal("ZB006", error.SqlState);
        }

        proxy.Backend.AuditUp = true;
        await using var back = new NpgsqlConnection(proxy.NpgsqlConnectionString());
        await back.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT 1", back);
        Assert.Equal(1, await read.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Service_session_may_start_without_the_audit_log_when_configured_and_a_person_still_may_not()
    {
        await using var proxy = database.Start(settings => settings with { ServiceSessionsWithoutAudit = true });
        proxy.Backend.AuditUp = false;

        await using (var service = new NpgsqlConnection(proxy.NpgsqlConnectionString("app", ListenerBackend.AppPassword)))
        {
            await service.OpenAsync();
            await using var read = new NpgsqlCommand("SELECT 1", service);
            Assert.Equal(1, await read.ExecuteScalarAsync());
        }

        await using var person = new NpgsqlConnection(proxy.NpgsqlConnectionString());
        var error = await Assert.ThrowsAsync<PostgresException>(() => person.OpenAsync());
        Assert.Equal("ZB006", error.SqlState);
    }
}
