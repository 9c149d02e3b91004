using System.CommandLine;
using Backstop.Cli.Remote;
using Backstop.Server.Api;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop login URL</c> and <c>backstop logout</c>: sign in to a Backstop server, keep its token (mode 0600), and revoke it.</summary>
internal static class LoginCommand
{
    public static Command Create(CliHost host)
    {
        var url = new Argument<string>("url") { Description = "The Backstop server, e.g. https://backstop.example.com:8440" };
        var user = new Option<string?>("--user", "-u") { Description = "Your user name on the server (default: this machine's user name)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from the first line of standard input" };
        var command = new Command("login", "Sign in to a Backstop server; check, run, undo and the rest then act through it") { url, user, passwordStdin };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var name = parse.GetValue(user) ?? Environment.UserName;
            var password = await PasswordInput.ReadAsync(context, $"Password for {name}: ", parse.GetValue(passwordStdin), cancellationToken);
            using var client = new ServerClient(parse.GetValue(url)!, token: null);
            var answer = await client.PostAsync<SignInResponse>("sessions", new SignInRequest(name, password, Environment.MachineName), cancellationToken);
            var credentials = new Credentials(client.Server, answer.Token, answer.User, answer.Expires);
            credentials.Save(host);
            if (context.Json)
            {
                context.WriteJson(new { server = client.Server, user = answer.User, role = answer.Role, expires = answer.Expires, credentials = Credentials.PathFor(host) });
            }
            else
            {
                context.Console.MarkupLineInterpolated(
                    $"Signed in to [bold]{client.Server}[/] as [bold]{answer.User}[/] ({answer.Role.ToString().ToLowerInvariant()}) until {answer.Expires:u}; the token is in {Credentials.PathFor(host)}.");
            }

            return ExitCodes.Done;
        });
        return command;
    }

    public static Command CreateLogout(CliHost host)
    {
        var command = new Command("logout", "Revoke this machine's token on the Backstop server and forget it");
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var credentials = Credentials.Load(host);
            if (credentials is null)
            {
                context.Console.MarkupLine("Not signed in; nothing to do.");
                return ExitCodes.Done;
            }

            var revoked = true;
            try
            {
                using var client = ServerClient.For(credentials);
                await client.SendAsync(HttpMethod.Delete, "sessions/current", null, cancellationToken);
            }
            catch (RemoteException e) when (e.ExitCode == ExitCodes.UsageError)
            {
                // Expired or revoked already: there is nothing left to revoke.
                revoked = false;
            }

            var deleted = Credentials.Delete(host);
            if (context.Json)
            {
                context.WriteJson(new { server = credentials.Server, revoked, deleted });
            }
            else
            {
                context.Console.MarkupLineInterpolated($"Signed out of {credentials.Server}{(revoked ? "; the token is revoked" : "; the token had expired or was revoked already")}.");
                if (!deleted)
                {
                    context.Console.MarkupLineInterpolated($"The token came from {Credentials.TokenVariable}; unset it.");
                }
            }

            return ExitCodes.Done;
        });
        return command;
    }
}
