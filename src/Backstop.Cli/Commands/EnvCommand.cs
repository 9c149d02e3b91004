using System.CommandLine;
using Backstop.Core.Configuration;
using Backstop.Postgres.Connections;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop env add | list | verify</c>.</summary>
internal static class EnvCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("env", "Manage environments: the databases Backstop guards");
        command.Add(Add(host));
        command.Add(List(host));
        command.Add(Verify(host));
        return command;
    }

    private static Command Add(CliHost host)
    {
        var name = new Argument<string>("NAME") { Description = "A name for the environment, e.g. prod" };
        var url = new Option<string>("--url") { Description = "postgresql://user@host:port/database, or env:VARNAME to read it from the environment at use", Required = true };
        var tier = new Option<Tier>("--tier") { Description = "production, staging or development: decides the policy", Required = true };
        var timezone = new Option<string?>("--timezone") { Description = "IANA time zone for the freeze window (default UTC)" };
        var command = new Command("add", "Add an environment and record its identity (cluster, database, host, port)") { name, url, tier, timezone };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environmentName = parse.GetValue(name)!;
            if (!EnvironmentNames.IsValid(environmentName))
            {
                throw new UsageException($"the environment name '{environmentName}' is not valid; {EnvironmentNames.Rule}");
            }

            if (config.Environments.Any(e => e.Name == environmentName))
            {
                throw new UsageException($"environment '{environmentName}' already exists in {config.Path}; remove its block there first, or pick another name");
            }

            if (config.Environments.FirstOrDefault(e => e.Name.Equals(environmentName, StringComparison.OrdinalIgnoreCase)) is { } same)
            {
                throw new UsageException($"environment '{same.Name}' in {config.Path} differs from '{environmentName}' only in case, and `-e` must never reach one for the other by a slip of the shift key; pick another name");
            }

            var urlText = parse.GetValue(url)!;
            var zone = parse.GetValue(timezone);
            if (zone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            {
                throw new UsageException($"unknown time zone '{zone}'; use an IANA name such as Europe/Berlin or UTC");
            }

            var environment = new EnvironmentConfig { Name = environmentName, Url = urlText, Tier = parse.GetValue(tier) };
            var resolved = context.Connector.ResolveUrl(environment);
            if (!urlText.StartsWith(Core.Environments.EnvironmentConnector.VariablePrefix, StringComparison.Ordinal)
                && !urlText.StartsWith(Core.Environments.EnvironmentConnector.FilePrefix, StringComparison.Ordinal)
                && resolved.HasPassword)
            {
                throw new UsageException(
                    "the URL contains a password, and Backstop never stores passwords; put the URL in an environment variable and give --url env:VARNAME, or in a file only you can read and give --url file:/PATH, or keep the password in ~/.pgpass");
            }

            var (connection, identity) = await Core.Environments.EnvironmentConnector.ConnectAsync(environmentName, resolved, cancellationToken);
            await connection.DisposeAsync();
            ConfigFileEditor.AddEnvironment(config.Path, environmentName, urlText, environment.Tier, zone, identity);
            if (context.Json)
            {
                context.WriteJson(new { name = environmentName, tier = environment.Tier, url = resolved.ToString(), identity });
            }
            else
            {
                context.Console.MarkupLineInterpolated($"Added [bold]{environmentName}[/] ({environment.Tier.ToString().ToLowerInvariant()}): {resolved.ToString()}");
                context.Console.MarkupLineInterpolated($"Recorded identity: system identifier {identity.SystemIdentifier}, database {identity.Database} (OID {identity.DatabaseOid}), {identity.Host}:{identity.Port}");
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static Command List(CliHost host)
    {
        var command = new Command("list", "List environments (passwords masked)");
        BackstopApp.SetHandler(command, host, (context, _, _) =>
        {
            var config = context.LoadConfig();
            var rows = config.Environments.Select(e => new
            {
                name = e.Name,
                tier = e.Tier,
                url = DisplayUrl(e.Url),
                timezone = e.TimeZone.Id,
                identity = e.Identity,
            }).ToList();
            if (context.Json)
            {
                context.WriteJson(new { environments = rows });
                return Task.FromResult(ExitCodes.Done);
            }

            if (rows.Count == 0)
            {
                context.Console.WriteLine($"No environments in {config.Path}; add one with `backstop env add NAME --url URL --tier TIER`.");
                return Task.FromResult(ExitCodes.Done);
            }

            var table = new Table().AddColumns("Name", "Tier", "URL", "Cluster", "Time zone");
            foreach (var row in rows)
            {
                table.AddRow(Markup.Escape(row.name), row.tier.ToString().ToLowerInvariant(), Markup.Escape(row.url), row.identity?.SystemIdentifier ?? "(not recorded)", row.timezone);
            }

            context.Console.Write(table);
            return Task.FromResult(ExitCodes.Done);
        });
        return command;
    }

    private static Command Verify(CliHost host)
    {
        var name = new Argument<string>("NAME") { Description = "The environment to check" };
        var accept = new Option<bool>("--accept") { Description = "Record the identity the URL reaches now (after a deliberate server or database replacement)" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Accept without a prompt (not enough on production: use --confirm NAME)" };
        var confirm = new Option<string?>("--confirm") { Description = "Accept a new identity of a production environment without a prompt by giving the environment's name" };
        var command = new Command("verify", "Check that an environment's URL still reaches the recorded cluster and database") { name, accept, yes, confirm };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(name)!);
            var url = context.Connector.ResolveUrl(environment);
            var (connection, identity) = await Core.Environments.EnvironmentConnector.ConnectAsync(environment.Name, url, cancellationToken);
            await connection.DisposeAsync();
            var difference = environment.Identity is { } recorded ? identity.DifferenceFrom(recorded) : "no identity recorded";
            if (difference is null && environment.Identity is { } incomplete && identity.Completes(incomplete))
            {
                // Everything recorded still matches: adding the OID an earlier Backstop did not record accepts nothing new.
                ConfigFileEditor.SetIdentity(config.Path, environment.Name, identity);
                context.Console.MarkupLineInterpolated($"Recorded the database OID {identity.DatabaseOid} of [bold]{environment.Name}[/] (its identity was recorded without it).");
            }

            if (difference is not null && parse.GetValue(accept))
            {
                if (!await ConfirmAcceptAsync(context, environment, parse.GetValue(confirm), host.Interactive, difference, cancellationToken))
                {
                    if (context.Json)
                    {
                        context.WriteJson(new { name = environment.Name, verified = false, recorded = false, difference, identity });
                    }

                    return ExitCodes.NeedsConfirmation;
                }

                ConfigFileEditor.SetIdentity(config.Path, environment.Name, identity);
                difference = null;
                context.Console.MarkupLineInterpolated($"Recorded the new identity of [bold]{environment.Name}[/].");
            }

            if (context.Json)
            {
                context.WriteJson(new { name = environment.Name, verified = difference is null, difference, identity });
            }
            else if (difference is null)
            {
                context.Console.MarkupLineInterpolated($"[green]OK[/] {environment.Name}: system identifier {identity.SystemIdentifier}, database {identity.Database} (OID {identity.DatabaseOid}), {identity.Host}:{identity.Port}");
            }
            else
            {
                context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] environment '{environment.Name}' reaches a different target: {difference}; if that is intended, run `backstop env verify {environment.Name} --accept`");
            }

            return difference is null ? ExitCodes.Done : ExitCodes.UsageError;
        });
        return command;
    }

    /// <summary>
    /// Accepting a new identity for production is the wrong-terminal check's own override, so it takes what a production
    /// change takes: the environment's name, typed or given with --confirm. Other tiers accept on --accept alone.
    /// </summary>
    private static async Task<bool> ConfirmAcceptAsync(CommandContext context, EnvironmentConfig environment, string? confirmName, bool interactive, string difference, CancellationToken cancellationToken)
    {
        if (environment.Tier != Tier.Production)
        {
            return true;
        }

        if (confirmName is not null)
        {
            if (string.Equals(confirmName, environment.Name, StringComparison.Ordinal))
            {
                return true;
            }

            context.ErrorConsole.MarkupLineInterpolated(
                $"[red]error:[/] --confirm '{confirmName}' does not match the environment's name '{environment.Name}'; nothing was recorded. Re-run with --confirm {environment.Name}.");
            return false;
        }

        if (!interactive)
        {
            context.ErrorConsole.MarkupLineInterpolated(
                $"[red]error:[/] environment '{environment.Name}' is production, and recording a new identity for it ({difference}) needs its name typed; nothing was recorded. Re-run with --confirm {environment.Name} (--yes is not enough on production).");
            return false;
        }

        context.ErrorConsole.MarkupLineInterpolated($"Environment '{environment.Name}' now reaches a different target: {difference}.");
        context.ErrorConsole.MarkupInterpolated($"Type the environment's name ([bold]{environment.Name}[/]) to record this as its identity: ");
        var typed = await context.Host.In.ReadLineAsync(cancellationToken);
        if (string.Equals(typed?.Trim(), environment.Name, StringComparison.Ordinal))
        {
            return true;
        }

        context.ErrorConsole.MarkupLine("[red]error:[/] the name typed does not match; nothing was recorded.");
        return false;
    }

    /// <summary>The configured URL with any password masked; env: references are shown as they are.</summary>
    private static string DisplayUrl(string url)
    {
        if (url.StartsWith(Core.Environments.EnvironmentConnector.VariablePrefix, StringComparison.Ordinal))
        {
            return url;
        }

        try
        {
            return PgUrl.Parse(url).ToString();
        }
        catch (FormatException)
        {
            return "(invalid URL)";
        }
    }
}
