using System.Text.Json.Serialization;

namespace Backstop.Postgres.Sandbox;

/// <summary>What is recorded of a sandbox in its directory (<c>sandbox.json</c>), so that another process can find and stop it.</summary>
public sealed record SandboxInfo
{
    public required string Name { get; init; }

    public required int Port { get; init; }

    public required string Directory { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    [JsonIgnore]
    public string DataDirectory => Path.Combine(Directory, "data");

    [JsonIgnore]
    public string LogFile => Path.Combine(Directory, "server.log");

    /// <summary>Sandboxes trust local connections and have no password.</summary>
    [JsonIgnore]
    public string Url => $"postgresql://postgres@127.0.0.1:{Port}/postgres";
}
