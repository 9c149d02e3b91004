namespace Backstop.Testing.Clients;

/// <summary>A real PostgreSQL client driven by <see cref="ClientStep"/>s: <see cref="JdbcClient"/> or <see cref="NodeClient"/>.</summary>
internal interface IClientHarness
{
    /// <summary>"pgjdbc" or "node-postgres", for messages.</summary>
    string Name { get; }

    /// <summary>The placeholder of the <paramref name="number"/>th parameter (from 1) in this client's SQL: <c>?</c> or <c>$n</c>.</summary>
    string Parameter(int number);

    /// <summary>Makes the client ready to run (compiles, installs), once per process; later calls return at once.</summary>
    Task PrepareAsync();

    /// <summary>
    /// Connects, runs <paramref name="steps"/> in order on that one connection and returns one result per step. Throws
    /// <see cref="ClientConnectException"/> when the connection is refused (its error fields in
    /// <see cref="ClientConnectException.Error"/>), <see cref="TimeoutException"/> when the whole run takes longer than
    /// <paramref name="timeout"/> (the program is killed), and <see cref="ClientHarnessException"/> (with the program's
    /// standard error) when the program cannot start, crashes or does not understand a step.
    /// </summary>
    Task<IReadOnlyList<ClientResult>> RunAsync(ClientConnection connection, IReadOnlyList<ClientStep> steps, TimeSpan timeout, CancellationToken cancellationToken = default);
}

/// <summary>The client program could not do what the test asked: not started, crashed, a step it did not understand.</summary>
internal sealed class ClientHarnessException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The client could not connect (refused, authentication failed, TLS not offered); <see cref="Error"/> holds what it reported.</summary>
internal sealed class ClientConnectException(string client, ClientResult error)
    : Exception($"{client} could not connect: {error}")
{
    public ClientResult Error { get; } = error;
}
