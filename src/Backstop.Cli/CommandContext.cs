using System.Text.Json;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.State;
using Backstop.Recovery.Catalog;
using Spectre.Console;

namespace Backstop.Cli;

/// <summary>What one command invocation works with: the host, the global options, and ways to reach config, store and databases.</summary>
internal sealed class CommandContext(CliHost host, string? configPath, bool json, bool local = false)
{
    public CliHost Host { get; } = host;

    public bool Json { get; } = json;

    /// <summary>
    /// The server this CLI is signed in to, when it acts through one (docs/server.md "Remote mode"); null with
    /// <c>--local</c> or when it is not signed in.
    /// </summary>
    public Remote.Credentials? Remote => local || configPath is not null ? null : _remote ??= Cli.Remote.Credentials.Load(Host);

    private Remote.Credentials? _remote;

    /// <summary>A client of the signed-in server; the caller disposes it.</summary>
    public Remote.ServerClient ServerClient() =>
        Cli.Remote.ServerClient.For(Remote ?? throw new UsageException("this needs a Backstop server; log in with `backstop login URL` (docs/server.md)"));

    /// <summary>Human output: stdout normally; stderr with --json, so stdout holds only the JSON object.</summary>
    public IAnsiConsole Console { get; } = host.CreateConsole(json ? host.Error : host.Out);

    public IAnsiConsole ErrorConsole { get; } = host.CreateConsole(host.Error);

    public string ConfigPath => ConfigLoader.Locate(configPath, Host.WorkingDirectory, Host.Variables);

    public BackstopConfig LoadConfig() => ConfigLoader.Load(ConfigPath);

    public EnvironmentConnector Connector => new(Host.Variables, Note);

    /// <summary>Where the state is: <c>state:</c> of backstop.yaml, its <c>env:VARNAME</c> read from this host's variables.</summary>
    public StateLocation StateLocation(BackstopConfig config) => Core.State.StateLocation.Of(config, Host.Variables);

    /// <summary>The change record, migrated to this Backstop's version (saying so on standard error).</summary>
    public Task<IStateStore> OpenStoreAsync(BackstopConfig config, CancellationToken cancellationToken) =>
        StateStores.OpenAsync(StateLocation(config), Note, cancellationToken);

    /// <summary>The backup catalog, beside the change record.</summary>
    public Task<IBackupCatalog> OpenCatalogAsync(BackstopConfig config, CancellationToken cancellationToken) =>
        BackupCatalogs.OpenAsync(StateLocation(config), Note, cancellationToken);

    /// <summary>The audit log, beside the change record.</summary>
    public Task<Core.Audit.IAuditLog> OpenAuditLogAsync(BackstopConfig config, CancellationToken cancellationToken) =>
        Core.Audit.AuditLogs.OpenAsync(StateLocation(config), Note, cancellationToken, Host.Clock);

    /// <summary>The audit log: the signed-in server's, read through its API, or the state store's of backstop.yaml.</summary>
    public async Task<Core.Audit.IAuditLog> AuditLogAsync(CancellationToken cancellationToken) =>
        Remote is not null ? new Remote.RemoteAuditLog(ServerClient()) : await OpenAuditLogAsync(LoadConfig(), cancellationToken);

    /// <summary>What the user should know but that stops nothing: a line on standard error, so --json output stays clean.</summary>
    public void Note(string note) => ErrorConsole.MarkupLineInterpolated($"[yellow]note:[/] {note}");

    /// <summary>The change lifecycle for an environment: its tier's policy, the state store, and the backup catalog's proof.</summary>
    public async Task<Core.Changes.ChangeLifecycle> LifecycleAsync(BackstopConfig config, Core.Environments.ConnectedEnvironment target, CancellationToken cancellationToken) =>
        new(target, config.Policies[target.Environment.Tier], await OpenStoreAsync(config, cancellationToken), Host.Clock)
        {
            BackupProof = new Recovery.Backups.CatalogBackupProof(config, Connector),
        };

    /// <summary>Whether this command has printed its JSON document; if not, <see cref="BackstopApp"/> prints one for it.</summary>
    public bool WroteJson { get; private set; }

    /// <summary>Why the command stopped without doing its work (a confirmation not given), for the JSON document; null when it did not.</summary>
    public string? Refusal { get; set; }

    /// <summary>For a command whose own output is its JSON document (a proof): nothing more is printed for it.</summary>
    public void MarkJsonWritten() => WroteJson = true;

    public void WriteJson(object value)
    {
        Host.Out.WriteLine(JsonSerializer.Serialize(value, Core.Reports.ReportJson.Options));
        WroteJson = true;
    }
}
