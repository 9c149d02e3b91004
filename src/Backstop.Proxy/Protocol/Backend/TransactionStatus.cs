namespace Backstop.Proxy.Protocol.Backend;

/// <summary>The Byte1 of ReadyForQuery, "Message Formats": the backend's transaction status.</summary>
internal enum TransactionStatus : byte
{
    /// <summary>'I' if idle (not in a transaction block).</summary>
    Idle = (byte)'I',

    /// <summary>'T' if in a transaction block.</summary>
    InTransaction = (byte)'T',

    /// <summary>'E' if in a failed transaction block (queries will be rejected until block is ended).</summary>
    Failed = (byte)'E',
}
