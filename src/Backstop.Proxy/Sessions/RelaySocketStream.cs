using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

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
///
/// A service session's sockets go on to a <see cref="RelayLoop"/> after sign-in (<see cref="GoLoop"/>): from then on a
/// read or write that cannot finish at once waits for the loop, and its continuation runs on the loop's thread.
/// </remarks>
internal sealed class RelaySocketStream(Socket socket) : Stream
{
    [ThreadStatic]
    private static bool t_mayBlock;

    private volatile bool _async;
    private volatile bool _readShut;

    public Socket Socket { get; } = socket;

    public bool IsAsync => _async;

    /// <summary>Whether the socket waits on a <see cref="RelayLoop"/>.</summary>
    public bool OnLoop => _loop is not null;

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
        if (_loop is not null)
        {
            return LoopRead(buffer, cancellationToken);
        }

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
        if (_loop is not null)
        {
            EndLoopRead(null, 0);
        }

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
        if (_loop is not null)
        {
            return LoopWrite(buffer);
        }

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

    // ------------------------------------------------------------------ on a relay loop

    private readonly Lock _loopGate = new();
    private readonly Waiter<int> _readWaiter = new();
    private readonly Waiter<bool> _writeWaiter = new();
    private RelayLoop? _loop;
    private long _loopId;
    private int _fd;
    private uint _interest;
    private bool _removed;
    private bool _closed;

    // A read waiting for the loop: where its bytes go, its token and the registration that cancels it.
    private bool _readWaiting;
    private Memory<byte> _readBuffer;
    private long _readSequence;
    private CancellationToken _readToken;
    private CancellationTokenRegistration _readCancel;

    // Input came while no read waited: the next read takes it at once (and input interest is off until then).
    private bool _readable;

    private bool _writeWaiting;
    private ReadOnlyMemory<byte> _writeRest;

    /// <summary>
    /// From now on, reads and writes that cannot finish at once wait on <paramref name="loop"/>, and continue on its
    /// thread. One-way; call it when nothing is reading or writing.
    /// </summary>
    public void GoLoop(RelayLoop loop)
    {
        lock (_loopGate)
        {
            _fd = (int)Socket.Handle;
            _interest = RelayLoop.In;
            _loopId = loop.Add(this, _fd);
            _loop = loop;
        }
    }

    private ValueTask<int> LoopRead(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        long sequence;
        lock (_loopGate)
        {
            if (_readShut || _closed)
            {
                return new ValueTask<int>(0);
            }

            if (_readWaiting)
            {
                throw new InvalidOperationException("a read is already waiting on this socket");
            }

            if (_readable || _removed)
            {
                var read = Receive(buffer.Span, out var error);
                if (read >= 0)
                {
                    return new ValueTask<int>(read);
                }

                if (error != RelayLoop.EAGAIN)
                {
                    return ValueTask.FromException<int>(new SocketException(error));
                }

                if (_removed)
                {
                    return ValueTask.FromException<int>(new SocketException((int)SocketError.ConnectionReset));
                }

                _readable = false;
            }

            _readWaiter.Reset();
            _readWaiting = true;
            _readBuffer = buffer;
            _readToken = cancellationToken;
            sequence = ++_readSequence;
            UpdateInterest();
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.UnsafeRegister(static state => ((RelaySocketStream)state!).EndLoopRead(new OperationCanceledException(), 0), this);
            var stale = false;
            lock (_loopGate)
            {
                if (_readWaiting && _readSequence == sequence)
                {
                    _readCancel = registration;
                }
                else
                {
                    stale = true;
                }
            }

            if (stale)
            {
                registration.Unregister();
            }
        }

        return new ValueTask<int>(_readWaiter, _readWaiter.Version);
    }

    /// <summary>Ends a waiting read, if one waits, with <paramref name="error"/> or <paramref name="read"/> bytes.</summary>
    private void EndLoopRead(Exception? error, int read)
    {
        CancellationTokenRegistration registration;
        CancellationToken token;
        lock (_loopGate)
        {
            if (!_readWaiting)
            {
                return;
            }

            _readWaiting = false;
            _readBuffer = default;
            token = _readToken;
            registration = _readCancel;
            _readCancel = default;
        }

        registration.Unregister();
        if (error is OperationCanceledException)
        {
            _readWaiter.SetException(new OperationCanceledException(token));
        }
        else if (error is not null)
        {
            _readWaiter.SetException(error);
        }
        else
        {
            _readWaiter.SetResult(read);
        }
    }

    private ValueTask LoopWrite(ReadOnlyMemory<byte> buffer)
    {
        lock (_loopGate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_writeWaiting)
            {
                throw new InvalidOperationException("a write is already waiting on this socket");
            }

            _writeRest = buffer;
            var error = SendRest();
            if (error is not 0 and not RelayLoop.EAGAIN)
            {
                _writeRest = default;
                return ValueTask.FromException(new SocketException(error));
            }

            if (_writeRest.IsEmpty)
            {
                return ValueTask.CompletedTask;
            }

            if (_removed)
            {
                _writeRest = default;
                return ValueTask.FromException(new SocketException((int)SocketError.ConnectionReset));
            }

            _writeWaiter.Reset();
            _writeWaiting = true;
            UpdateInterest();
        }

        return new ValueTask(_writeWaiter, _writeWaiter.Version);
    }

    /// <summary>The loop's call: the socket is ready for what <paramref name="events"/> says. Runs what waited on it.</summary>
    internal void OnEvents(uint events)
    {
        var readDone = false;
        var read = 0;
        Exception? readError = null;
        var writeDone = false;
        Exception? writeError = null;
        CancellationTokenRegistration registration = default;
        var handle = Socket.SafeHandle;
        var referenced = false;
        try
        {
            handle.DangerousAddRef(ref referenced);
            lock (_loopGate)
            {
                if (_closed)
                {
                    return;
                }

                var failed = (events & RelayLoop.Failed) != 0;
                if ((events & RelayLoop.In) != 0 || failed)
                {
                    if (_readWaiting)
                    {
                        read = Receive(_readBuffer.Span, out var error);
                        if (read >= 0 || error != RelayLoop.EAGAIN)
                        {
                            readDone = true;
                            readError = read < 0 ? new SocketException(error) : null;
                            _readWaiting = false;
                            _readBuffer = default;
                            registration = _readCancel;
                            _readCancel = default;
                        }
                    }
                    else
                    {
                        _readable = true;
                    }
                }

                if (((events & RelayLoop.Out) != 0 || failed) && _writeWaiting)
                {
                    var error = SendRest();
                    if (error is not 0 and not RelayLoop.EAGAIN)
                    {
                        writeError = new SocketException(error);
                        writeDone = true;
                    }
                    else if (_writeRest.IsEmpty)
                    {
                        writeDone = true;
                    }

                    if (writeDone)
                    {
                        _writeWaiting = false;
                        _writeRest = default;
                    }
                }

                if (failed && !_readWaiting && !_writeWaiting && !_removed)
                {
                    // A hang-up or error is reported whatever the interest, so it would wake the loop forever: the
                    // socket leaves the loop, and what comes next (reading the rest, then the end) needs no wait.
                    _removed = true;
                    _readable = true;
                    _loop!.Remove(_fd, _loopId);
                }
                else
                {
                    UpdateInterest();
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        finally
        {
            if (referenced)
            {
                handle.DangerousRelease();
            }
        }

        registration.Unregister();
        if (writeDone)
        {
            if (writeError is null)
            {
                _writeWaiter.SetResult(true);
            }
            else
            {
                _writeWaiter.SetException(writeError);
            }
        }

        if (readDone)
        {
            if (readError is null)
            {
                _readWaiter.SetResult(read);
            }
            else
            {
                _readWaiter.SetException(readError);
            }
        }
    }

    /// <summary>Under <see cref="_loopGate"/>: input interest unless input is known to wait, output while a write waits.</summary>
    private void UpdateInterest()
    {
        if (_removed || _loop is null)
        {
            return;
        }

        var wanted = (_readable ? 0 : RelayLoop.In) | (_writeWaiting ? RelayLoop.Out : 0);
        if (wanted != _interest)
        {
            _loop.Change(_fd, wanted, _loopId);
            _interest = wanted;
        }
    }

    /// <returns>Bytes read (0 at the end), or -1 with <paramref name="error"/> set.</returns>
    private unsafe int Receive(Span<byte> buffer, out int error)
    {
        error = 0;
        while (true)
        {
            nint read;
            fixed (byte* start = buffer)
            {
                read = RelayLoop.recv(_fd, start, buffer.Length, RelayLoop.MSG_DONTWAIT);
            }

            if (read >= 0)
            {
                return (int)read;
            }

            error = Marshal.GetLastPInvokeError();
            if (error != 4 /* EINTR */)
            {
                return -1;
            }
        }
    }

    /// <summary>Sends what it can of <see cref="_writeRest"/> without waiting; 0 when all went, else the errno that stopped it.</summary>
    private unsafe int SendRest()
    {
        while (!_writeRest.IsEmpty)
        {
            nint sent;
            fixed (byte* start = _writeRest.Span)
            {
                sent = RelayLoop.send(_fd, start, _writeRest.Length, RelayLoop.MSG_DONTWAIT | RelayLoop.MSG_NOSIGNAL);
            }

            if (sent < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error == 4 /* EINTR */)
                {
                    continue;
                }

                return error;
            }

            _writeRest = _writeRest[(int)sent..];
        }

        return 0;
    }

    /// <summary>Takes the socket off its loop before it closes; what waited on it fails as on a closed socket.</summary>
    private void LeaveLoop()
    {
        bool readWaiting;
        bool writeWaiting;
        CancellationTokenRegistration registration;
        lock (_loopGate)
        {
            if (_loop is null || _closed)
            {
                return;
            }

            _closed = true;
            if (!_removed)
            {
                _removed = true;
                _loop.Remove(_fd, _loopId);
            }

            readWaiting = _readWaiting;
            writeWaiting = _writeWaiting;
            _readWaiting = _writeWaiting = false;
            registration = _readCancel;
            _readCancel = default;
        }

        registration.Unregister();
        if (readWaiting)
        {
            _readWaiter.SetException(new ObjectDisposedException(nameof(RelaySocketStream)));
        }

        if (writeWaiting)
        {
            _writeWaiter.SetException(new ObjectDisposedException(nameof(RelaySocketStream)));
        }
    }

    /// <summary>One pending operation's completion; its continuation runs where it completes (the loop's thread, mostly).</summary>
    private sealed class Waiter<T> : IValueTaskSource<T>, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<T> _core;

        public short Version => _core.Version;

        public void Reset() => _core.Reset();

        public void SetResult(T value) => _core.SetResult(value);

        public void SetException(Exception error) => _core.SetException(error);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        T IValueTaskSource<T>.GetResult(short token) => _core.GetResult(token);

        void IValueTaskSource.GetResult(short token) => _core.GetResult(token);
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
            LeaveLoop();
            Socket.Dispose();
        }

        base.Dispose(disposing);
    }
}
