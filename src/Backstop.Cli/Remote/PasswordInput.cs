using System.Text;

namespace Backstop.Cli.Remote;

/// <summary>
/// Reads a password: from the first line of standard input with <c>--password-stdin</c> (for scripts, as
/// <c>docker login</c> does), else from the terminal without echo. Never from an argument, where it would land in the
/// shell's history and the process list.
/// </summary>
internal static class PasswordInput
{
    public static async Task<string> ReadAsync(CommandContext context, string prompt, bool fromStdin, CancellationToken cancellationToken)
    {
        var host = context.Host;
        if (fromStdin)
        {
            string text;
            if (host.StandardInput is { } stream)
            {
                using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
                text = await reader.ReadLineAsync(cancellationToken) ?? "";
            }
            else
            {
                text = await host.In.ReadLineAsync(cancellationToken) ?? "";
            }

            return text.Length > 0 ? text : throw new UsageException("--password-stdin was given but standard input holds no password");
        }

        if (!host.Interactive || Console.IsInputRedirected)
        {
            throw new UsageException("there is no terminal to ask for the password; pipe it in with --password-stdin");
        }

        await host.Error.WriteAsync(prompt);
        var password = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                {
                    password.Length--;
                }

                continue;
            }

            if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }

        await host.Error.WriteLineAsync();
        return password.ToString();
    }
}
