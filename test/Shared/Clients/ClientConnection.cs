namespace Backstop.Testing.Clients;

/// <summary>
/// Where a real client connects. The password reaches the client program through PGPASSWORD, never its command line.
/// Without <see cref="RequireTls"/> pgjdbc keeps its default (sslmode=prefer, as DBeaver does: TLS when the server
/// offers it, plain otherwise) and node-postgres asks for no TLS; with it, pgjdbc gets <c>sslmode=require</c> and
/// node-postgres <c>ssl: { rejectUnauthorized: false }</c> (TLS, the server's certificate not checked).
/// </summary>
internal sealed record ClientConnection(string Host, int Port, string Database, string User, string Password)
{
    public bool RequireTls { get; init; }

    /// <summary>Keeps the password out of test output.</summary>
    public override string ToString() => $"{User}@{Host}:{Port}/{Database}{(RequireTls ? " (TLS required)" : "")}";
}
