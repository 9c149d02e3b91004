using System.CommandLine;
using Backstop.Cli.Remote;
using Backstop.Core.Audit;
using Backstop.Core.Configuration;
using Backstop.Core.Team;
using Backstop.Server;
using Backstop.Server.Services;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop server</c> runs the team server (docs/server.md) until it is stopped (Ctrl+C, SIGTERM);
/// <c>backstop server init</c> prepares it: the server: section, the key that signs audit checkpoints, and the first admin.
/// </summary>
internal static class ServerCommand
{
    public static Command Create(CliHost host)
    {
        var urls = new Option<string[]>("--urls") { Description = "Listen on these URLs instead of server.urls (e.g. http://127.0.0.1:0 for any free port)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("server", "Run the Backstop team server: the API, approvals and the audit log, with the environments' credentials kept here") { urls };
        command.Add(CreateInit(host));
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var settings = config.Server ?? ServerSettings.Default;
            if (parse.GetValue(urls) is { Length: > 0 } given)
            {
                settings = settings with { Urls = given };
                config = config with { Server = settings };
            }

            var location = context.StateLocation(config);
            var log = await AuditLogs.OpenAsync(location, context.Note, cancellationToken);
            using var key = OpenSigningKey(config, settings);
            var runner = new RemoteCommands(server => server with { Variables = host.Variables, Clock = host.Clock, WorkingDirectory = host.WorkingDirectory });
            var app = await ServerHost.BuildAsync(config, host.Variables, context.Note, log, key, host.Clock, runner, cancellationToken);
            await app.StartAsync(cancellationToken);
            var addresses = ServerHost.Addresses(app);
            context.Console.MarkupLineInterpolated($"Backstop server {ServerHost.Version} listening on {string.Join(", ", addresses)} (state: {location}); Ctrl+C stops it.");
            if (ServerHost.ProxyEndpoint(app) is { } proxy)
            {
                context.Console.MarkupLineInterpolated($"PostgreSQL proxy listening on {proxy} (the database name is the environment's name)");
            }
            var schedules = config.Environments.Sum(e => e.Schedules.Count);
            if (schedules > 0 || config.Notifications is { Webhooks.Count: > 0 })
            {
                context.Console.MarkupLineInterpolated($"Schedules: {schedules} (`backstop schedule list`); webhooks: {config.Notifications?.Webhooks.Count ?? 0} (`backstop notify list`).");
            }

            await context.Host.Out.FlushAsync(cancellationToken);
            var checkpoints = CheckpointLoopAsync(log, key, context, cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            await app.StopAsync(CancellationToken.None);
            await checkpoints;
            await log.CheckpointAsync(key, CancellationToken.None);
            await app.DisposeAsync();
            context.Console.MarkupLine("Backstop server stopped.");
            return ExitCodes.Done;
        });
        return command;
    }

    /// <summary>Signs the audit log's tree head every minute (when it grew), so that what was logged is provable soon after.</summary>
    private static async Task CheckpointLoopAsync(IAuditLog log, AuditSigningKey key, CommandContext context, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await log.CheckpointAsync(key, cancellationToken);
                }
                catch (Exception e) when (e is AuditLogDamagedException or IOException or System.Data.Common.DbException)
                {
                    context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] the audit checkpoint could not be signed: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static AuditSigningKey OpenSigningKey(BackstopConfig config, ServerSettings settings)
    {
        var path = config.Resolve(settings.SigningKey);
        return File.Exists(path)
            ? AuditSigningKey.Load(path)
            : throw new ConfigException($"the server's signing key {path} does not exist; run `backstop server init` to create it (server.signing_key in {config.Path})");
    }

    private static Command CreateInit(CliHost host)
    {
        var admin = new Option<string?>("--admin") { Description = "The first admin's user name (default: this machine's user name)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the admin's password from the first line of standard input" };
        var command = new Command("init", "Prepare the team server: the server: section of backstop.yaml, the audit signing key, and the first admin") { admin, passwordStdin };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            if (config.Server is null)
            {
                await File.AppendAllTextAsync(config.Path, StarterServerSection, cancellationToken);
                config = context.LoadConfig();
            }

            var settings = config.Server ?? ServerSettings.Default;
            var keyPath = config.Resolve(settings.SigningKey);
            var keyExisted = File.Exists(keyPath);
            using (AuditSigningKey.LoadOrCreate(keyPath))
            {
            }

            var location = context.StateLocation(config);
            var team = new TeamStore(await TeamDatabase.OpenAsync(location, context.Note, cancellationToken));
            var name = parse.GetValue(admin) ?? Environment.UserName;
            if (await team.CountUsersAsync(cancellationToken) > 0)
            {
                throw new UsageException($"the team server at {location} has people already; an admin adds more with `backstop user add NAME --role ROLE`");
            }

            var password = await PasswordInput.ReadAsync(context, $"Password for the first admin, {name}: ", parse.GetValue(passwordStdin), cancellationToken);
            var log = await AuditLogs.OpenAsync(location, context.Note, cancellationToken);
            var users = new UserService(team, new StoreAuditTrail(log), host.Clock);
            try
            {
                await users.AddAsync("local:" + Environment.UserName, null, name, TeamRole.Admin, password, cancellationToken);
            }
            catch (ProblemException e)
            {
                throw new UsageException(e.Message);
            }

            if (context.Json)
            {
                context.WriteJson(new { config = config.Path, signingKey = keyPath, signingKeyCreated = !keyExisted, admin = name, urls = settings.Urls });
                return ExitCodes.Done;
            }

            context.Console.MarkupLineInterpolated($"The server: section is in {config.Path}; it listens on {string.Join(", ", settings.Urls)}.");
            context.Console.MarkupLineInterpolated($"{(keyExisted ? "Kept" : "Created")} the audit signing key {keyPath} (mode 0600); keep a copy of its public key off this host.");
            context.Console.MarkupLineInterpolated($"Added the first admin, [bold]{name}[/]. Next: `backstop server`, then `backstop login {settings.Urls[0]} --user {name}`.");
            return ExitCodes.Done;
        });
        return command;
    }

    private const string StarterServerSection = """

        # The team server (docs/server.md): `backstop server` listens here and keeps the environments' credentials.
        server:
          urls: [http://127.0.0.1:8440]
          # tls: { certificate: /etc/backstop/tls.crt, key: /etc/backstop/tls.key }
          signing_key: .backstop/server-signing-key.pem
          token_expiry: 12h
          approval_expiry: 24h
          execute_window: 4h
          lock_after: 20

        """;
}
