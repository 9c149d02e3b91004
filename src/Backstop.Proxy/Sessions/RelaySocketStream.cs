using System.Net.Sockets;

namespace Backstop.Proxy.Sessions;

/// <summary>
/// A connected socket as a stream that starts out blocking and can be switched to asynchronous I/O once. The proxy's
/// sockets begin this way so that a service session's relay can stay blocking for its whole life: two threads of its own,
/// each in a plain <c>recv</c> and <c>send</c>, which the kernel wakes directly when bytes arrive.
/// </summary>
/// <remarks>
/// Why not asynchronous I/O everywhere: on Linux, .NET waits for an asynchronous socket operation on its epoll thread and
/// then hands the continuation to the thread pool, two context switches for every message, and once a socket has waited
/// asynchronously it stays registered with that thread for good (a later blocking call is emulated on top of it). With
/// pgbench's one-row reads on this machine's 2 cores that cost about twice PgBouncer's CPU per transaction
/// (docs/benchmarks.md). So a socket here never waits asynchronously until <see cref="GoAsync"/>, which a person's
/// session calls after sign-in: its relay reads the client and the server at once.
///
/// While blocking, a read on a thread-pool thread that would have to wait goes to a thread of its own for the wait, so
/// a client that stalls during sign-in holds no pool thread. A cancellation while blocking shuts the socket's receiving
/// side (the only way to wake a blocked <c>recv</c>): the read ends with <see cref="OperationCanceledException"/>, and
/// the stream reads nothing more; writing still works, so a last error message can go out.
/// </remarks>
internal sealed class RelaySocketStream(Socket socket) : Stream
{
    [ThreadStatic]
    private static bool t_mayBlock;

    private volatile bool _async;
    private volatile bool _readShut;

    public Socket Socket { get; } = socket;

    public bool IsAsync => _async;

    /// <summary>
    /// Marks the calling thread as one of a relay's own (a thread that does nothing else): a read on it that has to wait
    /// blocks it. On any other thread such a read waits on a thread started for it.
    /// </summary>
    public static void MayBlockThisThread() => t_mayBlock = true;

    /// <summary>From now on, reads and writes wait asynchronously. One-way.</summary>
    public void GoAsync() => _async = true;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => _readShut ? 0 : Socket.Receive(buffer, SocketFlags.None);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            buffer = buffer[Socket.Send(buffer, SocketFlags.None)..];
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_async)
        {
            return Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (t_mayBlock || _readShut || Socket.Available > 0)
        {
            return new ValueTask<int>(BlockingRead(buffer, cancellationToken));
        }

        // Nothing to read yet, on a thread that must not block (the pool's, an accept loop's): wait on a thread of its own.
        return new ValueTask<int>(Task.Factory.StartNew(
            () =>
            {
                MayBlockThisThread();
                return BlockingRead(buffer, cancellationToken);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    private int BlockingRead(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_readShut)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return 0;
        }

        int read;
        if (cancellationToken.CanBeCanceled)
        {
            using (cancellationToken.UnsafeRegister(static state => ((RelaySocketStream)state!).ShutReading(), this))
            {
                read = ReceiveOrZero(buffer.Span);
            }
        }
        else
        {
            read = ReceiveOrZero(buffer.Span);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return read;
    }

    private int ReceiveOrZero(Span<byte> buffer)
    {
        try
        {
            return Socket.Receive(buffer, SocketFlags.None);
        }
        catch (SocketException) when (_readShut)
        {
            return 0;
        }
    }

    /// <summary>Wakes a blocked read (it sees the end of the stream) and ends reading for good.</summary>
    public void ShutReading()
    {
        _readShut = true;
        try
        {
            Socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing is blocked on it.
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_async)
        {
            return WriteAllAsync(buffer, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            buffer = buffer[await Socket.SendAsync(buffer, SocketFlags.None, cancellationToken)..];
        }
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Socket.Dispose();
        }

        base.Dispose(disposing);
    }
}
