using System.Net;
using System.Net.Sockets;
using Backstop.Proxy.Sessions;

namespace Backstop.Proxy.Tests.Sessions;

/// <summary>
/// The proxy's sockets stay blocking (so a service session's relay is a plain recv/send on threads of its own), and yet
/// a client that sends nothing holds neither the accept loop nor a pool thread, and a timeout still ends its read.
/// </summary>
public sealed class RelaySocketStreamTests
{
    [Fact]
    public async Task Read_with_nothing_to_read_off_a_relay_thread_returns_at_once_and_completes_when_bytes_arrive()
    {
        var (client, server) = await PairAsync();
        using var _ = client;
        await using var stream = new RelaySocketStream(server);

        var buffer = new byte[16];
        var read = stream.ReadAsync(buffer).AsTask();
        // The caller (an accept loop, a pool thread) got its thread back: the wait is on a thread of its own.
        Assert.False(read.IsCompleted);

        client.Send("hello"u8);
        Assert.Equal(5, await read.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);
    }

    [Fact]
    public async Task Cancelled_blocking_read_ends_with_OperationCanceledException_and_the_stream_can_still_write()
    {
        var (client, server) = await PairAsync();
        using var _ = client;
        await using var stream = new RelaySocketStream(server);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.ReadAsync(new byte[16], timeout.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        // A sign-in that timed out still gets its FATAL message.
        await stream.WriteAsync("bye"u8.ToArray());
        var received = new byte[3];
        Assert.Equal(3, client.Receive(received));
        Assert.Equal("bye"u8.ToArray(), received);
    }

    [Fact]
    public async Task A_relay_thread_blocks_in_its_read_and_a_stop_wakes_it()
    {
        var (client, server) = await PairAsync();
        using var _ = client;
        await using var stream = new RelaySocketStream(server);
        using var stop = new CancellationTokenSource();
        var relay = Task.Factory.StartNew(() =>
        {
            RelaySocketStream.MayBlockThisThread();
            var first = stream.ReadAsync(new byte[16], stop.Token);
            // On a relay's thread the read has blocked until its bytes came: it is complete when it returns.
            Assert.True(first.IsCompleted);
            Assert.Equal(2, first.Result);
            return stream.ReadAsync(new byte[16], stop.Token).AsTask();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

        client.Send("ok"u8);
        await Task.Delay(200);
        Assert.False(relay.IsCompleted);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => relay.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task After_GoAsync_reads_and_writes_are_asynchronous_and_the_socket_stays_usable()
    {
        var (client, server) = await PairAsync();
        using var _ = client;
        await using var stream = new RelaySocketStream(server);
        await stream.WriteAsync("before"u8.ToArray());
        stream.GoAsync();
        Assert.True(stream.IsAsync);

        var buffer = new byte[16];
        var read = stream.ReadAsync(buffer).AsTask();
        client.Send("later"u8);
        Assert.Equal(5, await read.WaitAsync(TimeSpan.FromSeconds(10)));
        await stream.WriteAsync("after"u8.ToArray());

        var received = new byte[11];
        var total = 0;
        while (total < received.Length)
        {
            total += client.Receive(received.AsSpan(total));
        }

        Assert.Equal("beforeafter"u8.ToArray(), received);
    }

    private static async Task<(Socket Client, Socket Server)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        var server = await listener.AcceptAsync();
        return (client, server);
    }
}
