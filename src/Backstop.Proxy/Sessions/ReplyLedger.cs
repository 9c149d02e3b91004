namespace Backstop.Proxy.Sessions;

/// <summary>
/// What the upstream server still owes a person's session, in the order it will answer: the session asks it before it
/// guards a statement (nothing owed means everything the client sent earlier was answered), and it tells which of the
/// server's messages answer the proxy's own requests rather than the client's.
/// </summary>
/// <remarks>
/// The server answers in order. Every Parse, Bind, Describe, Close and Execute is answered by one completion
/// (ParseComplete, BindComplete, RowDescription or NoData, CloseComplete, CommandComplete, EmptyQueryResponse or
/// PortalSuspended); a Sync, a Query and a FunctionCall by one ReadyForQuery. The ledger is a queue of segments, each
/// the extended messages sent since the previous ReadyForQuery-owing message and the message that closes them; the
/// open segment is the one not closed yet. A completion belongs to the first segment that still expects one; what
/// comes when none does is a simple query's own (its RowDescription and CommandComplete messages). An error inside a
/// segment's extended messages makes the server discard the rest of them until its Sync, as PostgreSQL does, and
/// nothing later. (Counting with one number, a ReadyForQuery of an earlier simple query used to clear the count of
/// the extended messages the client had pipelined behind it, and a guard then read their answers as its own.)
/// Used on the session's one flow only: it is not safe for two threads.
/// </remarks>
internal sealed class ReplyLedger
{
    private readonly Queue<Segment> _closed = new();
    private Segment _open = new();

    /// <summary>How a server's message was accounted for.</summary>
    public enum Answer
    {
        /// <summary>Not an extended message's completion: a simple query's own message.</summary>
        Uncounted,

        /// <summary>The completion of a message the client sent: relayed.</summary>
        Client,

        /// <summary>The completion of a message the proxy sent in the client's stream: not for the client.</summary>
        Own,
    }

    /// <summary>ReadyForQuery messages owed.</summary>
    public int ReadyOwed => _closed.Count;

    /// <summary>Whether the server owes nothing: every message sent was answered (or will be discarded by the server).</summary>
    public bool Quiet => _closed.Count == 0 && _open.Answered >= _open.Expected;

    /// <summary>Whether messages sent since the last Sync await an answer the server would hold back until Flush or Sync.</summary>
    public bool OpenAwaitsFlush => _open.Answered < _open.Expected;

    /// <summary>Whether the server discards what is sent until the next Sync (an extended message failed since the last one).</summary>
    public bool Discarding => _closed.Count == 0 && _open.Discarding;

    /// <summary>An extended message (Parse, Bind, Describe, Close, Execute) sent on; <paramref name="own"/>: the proxy's, answered silently.</summary>
    public void Expect(bool own = false)
    {
        if (_open.Discarding)
        {
            // The server skips it unanswered.
            return;
        }

        if (own)
        {
            (_open.Own ??= []).Add(_open.Expected);
        }

        _open.Expected++;
    }

    /// <summary>
    /// A message the server answers with ReadyForQuery sent on: Sync (<paramref name="sync"/>), Query or FunctionCall
    /// (the messages they are answered with before their ReadyForQuery are uncounted); <paramref name="own"/>: the
    /// proxy's, whose ReadyForQuery the client must not see.
    /// </summary>
    public void ExpectReady(bool own = false, bool sync = true)
    {
        if (!sync && _open.Discarding)
        {
            // PostgreSQL ignores a Query or FunctionCall while it discards until Sync: no ReadyForQuery comes for it.
            return;
        }

        _open.OwnReady = own;
        _open.BySync = sync;
        _closed.Enqueue(_open);
        _open = new Segment();
    }

    /// <summary>A message that may complete an extended message: ParseComplete, BindComplete, CloseComplete, NoData,
    /// PortalSuspended, RowDescription, CommandComplete, EmptyQueryResponse.</summary>
    public Answer Completed()
    {
        var head = Head;
        if (head.Answered >= head.Expected)
        {
            return Answer.Uncounted;
        }

        var ordinal = head.Answered++;
        return head.Own is { } own && own.Contains(ordinal) ? Answer.Own : Answer.Client;
    }

    /// <summary>An ErrorResponse.</summary>
    /// <returns>whether it ended a segment's extended messages, after which the server discards them until Sync.</returns>
    public bool Failed()
    {
        var head = Head;
        if (head.Answered >= head.Expected)
        {
            // After the extended messages: a simple query's error, or one at Sync (a commit that failed).
            return false;
        }

        head.Answered = head.Expected;
        head.Discarding = true;
        if (head != _open && !head.BySync)
        {
            // Closed by a Query or FunctionCall, which the server now ignores, as everything until the next Sync: the
            // segments up to that Sync's are one, answered by its ReadyForQuery alone.
            var rest = _closed.ToList();
            _closed.Clear();
            var at = rest.FindIndex(s => s.BySync);
            if (at < 0)
            {
                _open = new Segment { Discarding = true };
            }
            else
            {
                var closing = rest[at];
                closing.Answered = closing.Expected;
                closing.Discarding = true;
                foreach (var segment in rest.Skip(at))
                {
                    _closed.Enqueue(segment);
                }
            }
        }

        return true;
    }

    /// <summary>A ReadyForQuery.</summary>
    /// <returns>whether it answers a message of the proxy's own (not for the client).</returns>
    public bool Ready()
    {
        if (_closed.Count == 0)
        {
            // Not owed by anything counted here: the proxy's own exchanges that read their answers themselves.
            return false;
        }

        return _closed.Dequeue().OwnReady;
    }

    private Segment Head => _closed.Count > 0 ? _closed.Peek() : _open;

    private sealed class Segment
    {
        public int Expected;
        public int Answered;
        public bool BySync;
        public bool OwnReady;
        public bool Discarding;

        /// <summary>The ordinals of the completions that answer the proxy's own messages (rare: null until one).</summary>
        public List<int>? Own;
    }
}
