using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Backstop.Proxy.Sessions;

namespace Backstop.Proxy.Tests.Sessions;

/// <summary>
/// A service session's sockets wait on the proxy's own epoll loop: a read or write that cannot finish at once continues
/// on the loop's thread when the socket is ready, a full peer holds a write back without losing a byte, and a stop, a
/// hang-up or a close ends what waits instead of leaving it hanging.
/// </summary>
public sealed class RelayLoopTests
{
    [Fact]
    public async Task A_waiting_read_completes_on_the_loop_thread_when_bytes_arrive()
    {
        var (client, server) = await PairAsync();
        using var _ = client;
        await using var stream = new RelaySocketStream(server);
        stream.GoLoop(RelayLoop.Next());

        var buffer = new byte[16];
        string? thread = null;
        var read = Task.Run(async () =>
        {
            var count = await stream.ReadAsync(buffer);
            thread = Thread.CurrentThread.Name;
            return count;
        });
        await Task.Delay(100);
        Assert.False(read.IsCompleted);

        client.Send("hello"u8);
        Assert.Equal(5, await read.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);
        Assert.StartsWith("backstop-relay-", thread);
    }

    [Fact]
    public async Task A_write_larger_than_the_socket_buffers_waits_for_a_slow_peer_and_every_byte_arrives_in_order()
    {
        var (client, server) = await PairAsync();
        using var _ = client;
        await using var stream = new RelaySocketStream(server);
        stream.GoLoop(RelayLoop.Next());

        var payload = RandomNumberGenerator.GetBytes(16 * 1024 * 1024);
        var write = stream.WriteAsync(payload).AsTask();
        await Task.Delay(200);
        // The peer has not read: the kernel's buffers are full and the write waits on the loop, holding no thread.
        Assert.False(write.IsCompleted);

        var received = new byte[payload.Length];
        var total = 0;
        while (total < received.Length)
        {
            total += await client.ReceiveAsync(received.AsMemory(total));
        }

        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received));
    }

    [Fact]
    public async Task A_cancelled_read_ends_with_OperationCanceledException_and_the_next_read_gets_the_bytes()
    {
        var (client, server) = await PairAsync();
        using var _ = client;
        await using var stream = new RelaySocketStream(server);
        stream.GoLoop(RelayLoop.Next());

        using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.ReadAsync(new byte[16], timeout.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        client.Send("next"u8);
        var buffer = new byte[16];
        Assert.Equal(4, await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("next"u8.ToArray(), buffer[..4]);
    }

    [Fact]
    public async Task Bytes_sent_before_a_hang_up_are_still_read_and_then_the_end()
    {
        var (client, server) = await PairAsync();
        await using var stream = new RelaySocketStream(server);
        stream.GoLoop(RelayLoop.Next());

        // No read waits when the bytes and the hang-up come: the loop must neither lose them nor spin on the hang-up.
        client.Send("last words"u8);
        client.Close();
        await Task.Delay(200);

        var buffer = new byte[64];
        var total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(total)).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0)
        {
            total += read;
        }

        Assert.Equal("last words"u8.ToArray(), buffer[..total]);
    }

    [Fact]
    public async Task Closing_the_stream_ends_a_waiting_read_instead_of_leaving_it_hanging()
    {
        var (client, server) = await PairAsync();
        using var _ = client;
        var stream = new RelaySocketStream(server);
        stream.GoLoop(RelayLoop.Next());

        var read = stream.ReadAsync(new byte[16]).AsTask();
        await stream.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Many_relays_on_the_loops_each_carry_their_own_bytes_both_ways()
    {
        const int Relays = 40;
        const int Rounds = 200;
        var work = Enumerable.Range(0, Relays).Select(async n =>
        {
            // client <-> [a relayed by the loop to b] <-> echo
            var (client, a) = await PairAsync();
            var (b, echo) = await PairAsync();
            using var __ = client;
            using var ___ = echo;
            await using var front = new RelaySocketStream(a);
            await using var back = new RelaySocketStream(b);
            var loop = RelayLoop.Next();
            front.GoLoop(loop);
            back.GoLoop(loop);
            var up = PumpAsync(PipeReader.Create(front), back);
            var down = PumpAsync(PipeReader.Create(back), front);
            var echoing = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                int read;
                while ((read = await echo.ReceiveAsync(buffer)) > 0)
                {
                    await echo.SendAsync(buffer.AsMemory(0, read));
                }
            });

            var reply = new byte[64];
            for (var round = 0; round < Rounds; round++)
            {
                var message = System.Text.Encoding.ASCII.GetBytes($"relay {n} round {round}");
                await client.SendAsync(message);
                var total = 0;
                while (total < message.Length)
                {
                    total += await client.ReceiveAsync(reply.AsMemory(total));
                }

                Assert.Equal(message, reply[..total]);
            }

            client.Shutdown(SocketShutdown.Send);
            await up.WaitAsync(TimeSpan.FromSeconds(10));
        });

        await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(60));
    }

    private static async Task PumpAsync(PipeReader from, RelaySocketStream to)
    {
        while (true)
        {
            var result = await from.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                await to.WriteAsync(segment);
            }

            from.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                to.Socket.Shutdown(SocketShutdown.Send);
                return;
            }
        }
    }

    private static async Task<(Socket Client, Socket Server)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = listener.Accept();
        return (client, server);
    }
}
