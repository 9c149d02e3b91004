namespace Backstop.Cli.Tests;

internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;

    /// <summary>The "changeId" of a `run --json` or `undo --json`, as the next command takes it.</summary>
    public string ChangeId
    {
        get
        {
            using var json = System.Text.Json.JsonDocument.Parse(Out);
            return json.RootElement.GetProperty("changeId").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The "error" of a --json document: the whole message, where standard error wraps long lines.</summary>
    public string JsonError
    {
        get
        {
            using var json = System.Text.Json.JsonDocument.Parse(Out);
            return json.RootElement.GetProperty("error").GetString()!;
        }
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}
