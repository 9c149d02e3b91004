using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Backstop.Proxy.Sessions;

/// <summary>
/// An event loop of the proxy's own over Linux epoll: the service sessions' sockets wait here, and the relay code runs
/// on the loop's thread as each socket becomes readable or writable, as PgBouncer's loop does.
/// </summary>
/// <remarks>
/// Why: a service session pumped on two blocking threads costs a thread wake per message, and with many sessions on
/// this machine's 2 cores those wakes (and the scheduler's work for them) were most of the proxy's CPU. One loop thread
/// that finds several sockets ready in one <c>epoll_wait</c> serves them all without a switch (docs/proxy.md,
/// "Threads and sockets"). The loop calls <c>recv</c> and <c>send</c> itself with <c>MSG_DONTWAIT</c>, so a socket's
/// own blocking mode is never changed and .NET's own epoll engine never sees it.
///
/// Interest is level-triggered: a socket stays registered for input until input comes with no read waiting for it
/// (the relay is busy elsewhere, rare), and for output only while a write waits for room.
/// </remarks>
internal sealed partial class RelayLoop
{
    private const uint EPOLLIN = 0x001;
    private const uint EPOLLOUT = 0x004;
    private const uint EPOLLERR = 0x008;
    private const uint EPOLLHUP = 0x010;
    private const int EPOLL_CTL_ADD = 1;
    private const int EPOLL_CTL_DEL = 2;
    private const int EPOLL_CTL_MOD = 3;
    private const int EINTR = 4;
    private const int MaxEvents = 128;

    private static readonly Lazy<RelayLoop[]> Loops = new(() =>
        [.. Enumerable.Range(0, Math.Clamp(Environment.ProcessorCount, 1, 4)).Select(i => new RelayLoop(i))]);

    private static int s_next;

    private readonly int _epoll;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, RelaySocketStream> _streams = [];
    private long _nextId;

    private RelayLoop(int number)
    {
        _epoll = epoll_create1(0x80000 /* EPOLL_CLOEXEC */);
        if (_epoll < 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        new Thread(Run, 256 * 1024) { IsBackground = true, Name = $"backstop-relay-{number}" }.Start();
    }

    /// <summary>Whether the proxy relays service sessions on loops (Linux); elsewhere they keep two blocking threads.</summary>
    public static bool Available => OperatingSystem.IsLinux();

    /// <summary>A loop for the next session, round robin.</summary>
    public static RelayLoop Next()
    {
        var loops = Loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }

    public long Add(RelaySocketStream stream, int fd)
    {
        long id;
        lock (_gate)
        {
            id = ++_nextId;
            _streams[id] = stream;
        }

        Control(EPOLL_CTL_ADD, fd, EPOLLIN, id);
        return id;
    }

    public void Change(int fd, uint events, long id) => Control(EPOLL_CTL_MOD, fd, events, id);

    public void Remove(int fd, long id)
    {
        lock (_gate)
        {
            _streams.Remove(id);
        }

        var none = default(EpollEvent);
        _ = epoll_ctl(_epoll, EPOLL_CTL_DEL, fd, ref none);
    }

    private void Control(int operation, int fd, uint events, long id)
    {
        var ev = new EpollEvent { Events = events, Data = (ulong)id };
        if (epoll_ctl(_epoll, operation, fd, ref ev) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }
    }

    internal static uint In => EPOLLIN;

    internal static uint Out => EPOLLOUT;

    internal static uint Failed => EPOLLERR | EPOLLHUP;

    private unsafe void Run()
    {
        var events = stackalloc EpollEvent[MaxEvents];
        while (true)
        {
            var count = epoll_wait(_epoll, events, MaxEvents, -1);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }

                // Nothing a loop can do about a broken epoll descriptor but say so: sessions on it stop moving.
                Environment.FailFast($"backstop's relay loop failed in epoll_wait (errno {Marshal.GetLastPInvokeError()})");
            }

            for (var i = 0; i < count; i++)
            {
                RelaySocketStream? stream;
                lock (_gate)
                {
                    _streams.TryGetValue((long)events[i].Data, out stream);
                }

                try
                {
                    stream?.OnEvents(events[i].Events);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A relay's own continuation that threw is that session's failure (its task carries it), never the loop's.
                }
            }
        }
    }

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, ref EpollEvent ev);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int epoll_wait(int epfd, EpollEvent* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial nint recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial nint send(int fd, byte* buffer, nint length, int flags);

    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int EAGAIN = 11;
}
