using System.Net;
using System.Net.NetworkInformation;
using System.Text.RegularExpressions;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Postgres.Tools;
using Npgsql;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// <c>backstop pitr enable</c>: sets up point-in-time recovery of a cluster on this machine with pgBackRest. Each
/// step checks what is already in place, so running it again finishes an interrupted set-up (after a restart done
/// by hand, for instance) and changes nothing that is already right. Every change is reported as it is made.
/// </summary>
public sealed partial class PitrEnabler(BackstopConfig config, EnvironmentConnector connector)
{
    public async Task<EnableResult> EnableAsync(EnvironmentConfig environment, EnableOptions options, Action<string> changed, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var changes = new List<string>();
        void Changed(string line)
        {
            changes.Add(line);
            changed(line);
        }

        var url = connector.ResolveUrl(environment);
        if (!IsOnThisMachine(url.Host))
        {
            throw new PitrException(
                $"environment '{environment.Name}' is at {url.Endpoint}, not on this machine; pgBackRest needs the cluster's data directory, so run backstop on the database server " +
                "(for a managed database, use the provider's point-in-time restore and add the restored instance as an environment: see docs/pitr.md)",
                isUsageError: true);
        }

        if (options.Stanza is { } stanza && !StanzaName().IsMatch(stanza))
        {
            throw new PitrException($"the stanza name '{stanza}' is not valid; use letters, digits, '-' or '_', starting with a letter", isUsageError: true);
        }

        var layout = PitrLayout.Create(config, environment.Name, options.DataDirectory, options.Repository, options.Stanza);
        progress?.Report($"reading {layout.DataDirectory}");
        var cluster = await ClusterDirectory.ReadAsync(layout.DataDirectory, cancellationToken);
        var backRest = new PgBackRest(layout.ConfigFile, layout.Stanza, cluster.Owner);

        ServerSettings settings;
        await using (var target = await connector.OpenAsync(environment, cancellationToken))
        {
            if (target.Identity.SystemIdentifier != cluster.SystemIdentifier)
            {
                throw new PitrException(
                    $"{layout.DataDirectory} belongs to cluster {cluster.SystemIdentifier}, but environment '{environment.Name}' reaches cluster {target.Identity.SystemIdentifier}; give the data directory of the server the environment connects to (`SHOW data_directory` on it)",
                    isUsageError: true);
            }

            settings = await ServerSettings.ReadAsync(target.Connection, cancellationToken);
            settings = settings with { SocketDirectory = cluster.PostmasterSocketDirectory() ?? settings.SocketDirectory };
            if (settings.SocketDirectory is null)
            {
                throw new PitrException($"the server of environment '{environment.Name}' listens on no Unix socket (unix_socket_directories is empty), and pgBackRest reaches the server through one; set unix_socket_directories and restart it");
            }

            await PitrDirectories.PrepareAsync(config, layout, cluster.Owner, settings, Changed, cancellationToken);
            var plan = ArchiveConfiguration.Plan(environment.Name, settings, backRest.ArchivePushCommand);
            if (plan.Count > 0 && !settings.CanAlterSystem)
            {
                throw ManualSetup(environment, settings.Role, plan);
            }

            if (plan.Count > 0)
            {
                try
                {
                    await ArchiveConfiguration.ApplyAsync(target.Connection, plan, Changed, cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    throw ManualSetup(environment, settings.Role, plan);
                }
            }
        }

        if (!settings.Archiving || settings.WalLevel == "minimal")
        {
            var restart = new ClusterRestart(cluster, layout);
            if (!options.Restart || restart.IsManual)
            {
                return new EnableResult { Layout = layout, Changes = changes, RestartCommand = restart.Command };
            }

            progress?.Report("restarting the cluster");
            await restart.RunAsync(cancellationToken);
            Changed($"restarted the cluster ({restart.Command}): archive_mode takes effect only at server start");
            await using var restarted = await connector.OpenAsync(environment, cancellationToken);
            if (!(await ServerSettings.ReadAsync(restarted.Connection, cancellationToken)).Archiving)
            {
                throw new PitrException($"after the restart, archive_mode of environment '{environment.Name}' is still off: a setting in postgresql.conf or a command-line option may override postgresql.auto.conf; set archive_mode = on there");
            }
        }
        else
        {
            await WaitForArchiveCommandAsync(environment, backRest.ArchivePushCommand, cancellationToken);
        }

        progress?.Report($"creating stanza '{layout.Stanza}'");
        var created = await backRest.RunAsync("stanza-create", ["--log-level-console=info"], cancellationToken);
        if (!created.Succeeded)
        {
            throw new PitrException($"pgBackRest stanza-create failed for environment '{environment.Name}': {created.ErrorSummary()} (its log: {layout.LogDirectory})");
        }

        if (!created.Output.Contains("already exists", StringComparison.Ordinal))
        {
            Changed($"created the pgBackRest stanza '{layout.Stanza}' in {layout.Repository}");
        }

        progress?.Report("checking that WAL reaches the repository (pgbackrest check)");
        var check = await backRest.RunAsync("check", [], cancellationToken);
        if (!check.Succeeded)
        {
            throw new PitrException($"pgBackRest check failed for environment '{environment.Name}': {check.ErrorSummary()}; WAL archiving does not reach the repository yet (its log: {layout.LogDirectory})");
        }

        var recorded = new PitrSettings { DataDirectory = layout.DataDirectory, Repository = layout.Repository, Stanza = layout.Stanza };
        if (environment.Pitr != recorded)
        {
            ConfigFileEditor.SetPitr(config.Path, environment.Name, recorded);
            Changed($"recorded the pitr settings of '{environment.Name}' (pgdata, repository, stanza) in {config.Path}");
        }

        return new EnableResult { Layout = layout, Changes = changes, Checked = true };
    }

    private static PitrException ManualSetup(EnvironmentConfig environment, string role, IReadOnlyList<(string Name, string Value, string Why)> plan) =>
        new($"environment '{environment.Name}' connects as '{role}', which may not change server settings (ALTER SYSTEM needs a superuser); the server was not changed. " +
            "Add these lines to the cluster's postgresql.conf (or run ALTER SYSTEM as a superuser), restart the cluster, then run this command again:\n" +
            ArchiveConfiguration.ManualLines(plan));

    /// <summary>archive_command takes effect when each process has read the reloaded configuration; new connections show it.</summary>
    private async Task WaitForArchiveCommandAsync(EnvironmentConfig environment, string archiveCommand, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await using var target = await connector.OpenAsync(environment, cancellationToken);
            if ((await ServerSettings.ReadAsync(target.Connection, cancellationToken)).ArchiveCommand == archiveCommand)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        throw new PitrException($"the server of environment '{environment.Name}' did not take the new archive_command after a reload; a setting in postgresql.conf may override postgresql.auto.conf");
    }

    private static bool IsOnThisMachine(string host)
    {
        if (host.StartsWith('/') || host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.Equals(Dns.GetHostName(), StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host, out var address)
            && (IPAddress.IsLoopback(address) || NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses).Any(a => a.Address.Equals(address)));
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,62}$")]
    private static partial Regex StanzaName();
}
