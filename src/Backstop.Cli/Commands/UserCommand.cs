using System.CommandLine;
using Backstop.Cli.Remote;
using Backstop.Core.Audit;
using Backstop.Core.Team;
using Backstop.Server.Api;
using Backstop.Server.Services;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop user add|list|disable|reset-password</c>: people of the team. Signed in as an admin, through the server;
/// otherwise on the server's own host, directly in its state (as the operating-system user, audited as <c>local:USER</c>).
/// </summary>
internal static class UserCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("user", "Manage the people of a Backstop team server (admins only)");
        command.Add(Add(host));
        command.Add(List(host));
        command.Add(Disable(host));
        command.Add(ResetPassword(host));
        return command;
    }

    private static Command Add(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "The user name" };
        var role = new Option<TeamRole>("--role") { Description = "requester (runs and requests), approver (also approves others' requests), admin (also manages people) or service (an application: connects through the proxy only, with the static guard)", Required = true };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the new user's password from the first line of standard input" };
        var command = new Command("add", "Add a person with a role and a first password") { name, role, passwordStdin };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var user = parse.GetValue(name)!;
            var password = await PasswordInput.ReadAsync(context, $"Password for {user}: ", parse.GetValue(passwordStdin), cancellationToken);
            UserView added;
            if (context.Remote is not null)
            {
                using var client = context.ServerClient();
                added = await client.PostAsync<UserView>("users", new NewUserRequest(user, parse.GetValue(role), password), cancellationToken);
            }
            else
            {
                added = UserView.Of(await LocalAsync(context, (users, actor, ct) => users.AddAsync(actor, null, user, parse.GetValue(role), password, ct), cancellationToken));
            }

            return Done(context, added, $"Added {added.Name} ({added.Role.ToString().ToLowerInvariant()}).");
        });
        return command;
    }

    private static Command List(CliHost host)
    {
        var command = new Command("list", "List the people, their roles, and whether they are disabled or locked out");
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            IReadOnlyList<UserView> users;
            if (context.Remote is not null)
            {
                using var client = context.ServerClient();
                users = await client.GetAsync<List<UserView>>("users", cancellationToken);
            }
            else
            {
                users = (await LocalAsync(context, (service, _, ct) => service.ListAsync(ct), cancellationToken)).Select(UserView.Of).ToList();
            }

            if (context.Json)
            {
                context.WriteJson(new { users });
                return ExitCodes.Done;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("User", "Role", "State", "Failed sign-ins", "Added");
            foreach (var user in users)
            {
                var state = user.Disabled ? "[red]disabled[/]" : user.Locked ? "[red]locked[/]" : "[green]active[/]";
                table.AddRow(Markup.Escape(user.Name), user.Role.ToString().ToLowerInvariant(), state, user.FailedAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture), user.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
            }

            context.Console.Write(table);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Disable(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "The user name" };
        var command = new Command("disable", "Disable a person: they can no longer sign in, and every token they hold is revoked") { name };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var user = parse.GetValue(name)!;
            if (context.Remote is not null)
            {
                using var client = context.ServerClient();
                await client.SendAsync(HttpMethod.Post, $"users/{Uri.EscapeDataString(user)}/disable", new { }, cancellationToken);
            }
            else
            {
                await LocalAsync(context, async (service, actor, ct) => { await service.DisableAsync(actor, null, user, ct); return 0; }, cancellationToken);
            }

            return Done(context, new { user, disabled = true }, $"Disabled {user}; their tokens are revoked.");
        });
        return command;
    }

    private static Command ResetPassword(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "The user name" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the new password from the first line of standard input" };
        var command = new Command("reset-password", "Give a person a new password; it also lifts a lock-out and revokes their tokens") { name, passwordStdin };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var user = parse.GetValue(name)!;
            var password = await PasswordInput.ReadAsync(context, $"New password for {user}: ", parse.GetValue(passwordStdin), cancellationToken);
            if (context.Remote is not null)
            {
                using var client = context.ServerClient();
                await client.SendAsync(HttpMethod.Post, $"users/{Uri.EscapeDataString(user)}/password", new PasswordRequest(password), cancellationToken);
            }
            else
            {
                await LocalAsync(context, async (service, actor, ct) => { await service.ResetPasswordAsync(actor, null, user, password, ct); return 0; }, cancellationToken);
            }

            return Done(context, new { user, passwordReset = true }, $"Set a new password for {user}; they are unlocked, and their tokens are revoked.");
        });
        return command;
    }

    private static int Done(CommandContext context, object json, string text)
    {
        if (context.Json)
        {
            context.WriteJson(json);
        }
        else
        {
            context.Console.MarkupLineInterpolated($"{text}");
        }

        return ExitCodes.Done;
    }

    /// <summary>On the server's host, without a server: the state store of backstop.yaml, audited as the operating-system user.</summary>
    private static async Task<T> LocalAsync<T>(CommandContext context, Func<UserService, string, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var config = context.LoadConfig();
        var location = context.StateLocation(config);
        var team = new TeamStore(await TeamDatabase.OpenAsync(location, context.Note, cancellationToken));
        var log = await AuditLogs.OpenAsync(location, context.Note, cancellationToken);
        try
        {
            return await work(new UserService(team, new StoreAuditTrail(log), context.Host.Clock), "local:" + Environment.UserName, cancellationToken);
        }
        catch (ProblemException e)
        {
            throw new RemoteException(e.Message, e.ExitCode);
        }
    }
}
