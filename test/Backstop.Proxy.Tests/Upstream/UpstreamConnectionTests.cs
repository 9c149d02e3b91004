using System.Text;
using Backstop.Core.Team;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Tests.Support;
using Backstop.Proxy.Upstream;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Proxy.Tests.Upstream;

/// <summary>The proxy signs in to the environment's server with the environment's credentials, whatever the server asks for.</summary>
public sealed class UpstreamConnectionTests
{
    [Fact]
    public async Task ConnectAsync_real_server_reaches_ready_for_query_and_answers_a_query()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("upstream");
        var builder = new NpgsqlConnectionStringBuilder(database);

        await using var upstream = await UpstreamConnection.ConnectAsync(
            builder.Host!, builder.Port, builder.Database!, builder.Username!, null, [new("application_name", "backstop proxy test")], ProtocolLimits.Default, CancellationToken.None);

        Assert.Contains(upstream.Parameters, p => p.Name == "server_version" && p.Value.StartsWith("15", StringComparison.Ordinal));
        Assert.NotNull(upstream.Key);
        Assert.Equal(TransactionStatus.Idle, upstream.Status);

        var writer = new ProtocolWriter();
        new Query("SELECT 41 + 1").WriteTo(writer);
        await upstream.Stream.WriteAsync(writer.WrittenMemory);
        var seen = new StringBuilder();
        var reader = new MessageReader(ProtocolLimits.Default);
        while (true)
        {
            var result = await upstream.Reader.ReadAsync();
            var buffer = result.Buffer;
            var ready = false;
            while (reader.TryReadBackend(ref buffer, out var frame))
            {
                seen.Append((char)frame.Code);
                if (frame.Code == (byte)'D')
                {
                    seen.Append(Encoding.ASCII.GetString(System.Buffers.BuffersExtensions.ToArray(frame.Payload)[6..]));
                }

                ready |= frame.Code == (byte)'Z';
            }

            upstream.Reader.AdvanceTo(buffer.Start, buffer.End);
            if (ready)
            {
                break;
            }
        }

        Assert.Equal("TD42CZ", seen.ToString());
    }

    [Fact]
    public async Task ConnectAsync_scram_server_signs_in_with_the_right_password_and_refuses_the_wrong_one()
    {
        await using var server = PgServerFake.Start(new Dictionary<string, ScramVerifier> { ["app"] = ScramVerifier.Create("app-secret-password") });

        await using (var upstream = await UpstreamConnection.ConnectAsync("127.0.0.1", server.Port, "prod", "app", "app-secret-password", [], ProtocolLimits.Default, CancellationToken.None))
        {
            Assert.Equal(TransactionStatus.Idle, upstream.Status);
        }

        var wrong = await Assert.ThrowsAsync<UpstreamException>(() =>
            UpstreamConnection.ConnectAsync("127.0.0.1", server.Port, "prod", "app", "not-the-password", [], ProtocolLimits.Default, CancellationToken.None));
        Assert.Contains("password authentication failed", wrong.Message);
        Assert.DoesNotContain("not-the-password", wrong.Message);

        var none = await Assert.ThrowsAsync<UpstreamException>(() =>
            UpstreamConnection.ConnectAsync("127.0.0.1", server.Port, "prod", "app", null, [], ProtocolLimits.Default, CancellationToken.None));
        Assert.Contains("the environment's URL has none", none.Message);
    }

    [Fact]
    public async Task ConnectAsync_nobody_listening_is_an_upstream_error_naming_the_server()
    {
        var error = await Assert.ThrowsAsync<UpstreamException>(() =>
            UpstreamConnection.ConnectAsync("127.0.0.1", 1, "prod", "app", "secret", [], ProtocolLimits.Default, CancellationToken.None));
        Assert.Contains("cannot reach the upstream server at 127.0.0.1:1", error.Message);
    }
}
