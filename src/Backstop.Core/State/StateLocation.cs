using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Postgres.Connections;

namespace Backstop.Core.State;

/// <summary>
/// Where the state lives (DESIGN.md, D4 and D12): the SQLite file <c>.backstop/state.db</c> beside backstop.yaml by
/// default, or the PostgreSQL database that <c>state:</c> names, which a team's machines share. Exactly one of
/// <see cref="FilePath"/> and <see cref="Url"/> is set.
/// </summary>
public sealed class StateLocation
{
    public const string FileName = "state.db";

    private StateLocation(string? filePath, PgUrl? url)
    {
        FilePath = filePath;
        Url = url;
    }

    /// <summary>The SQLite file, or null.</summary>
    public string? FilePath { get; }

    /// <summary>The PostgreSQL database, or null.</summary>
    public PgUrl? Url { get; }

    public static StateLocation File(string path) => new(path, null);

    public static StateLocation Postgres(PgUrl url) => new(null, url);

    /// <summary>The configuration's <c>state:</c>, its <c>env:VARNAME</c> read from <paramref name="variables"/>.</summary>
    /// <exception cref="ConfigException">the variable is not set, or holds no valid URL.</exception>
    public static StateLocation Of(BackstopConfig config, Func<string, string?> variables)
    {
        if (config.State is not { } text)
        {
            return File(Path.Combine(config.StateDirectory, FileName));
        }

        if (text.StartsWith(EnvironmentConnector.VariablePrefix, StringComparison.Ordinal))
        {
            var variable = text[EnvironmentConnector.VariablePrefix.Length..];
            text = variables(variable) is { Length: > 0 } value
                ? value
                : throw new ConfigException($"the state store's URL is read from the variable {variable} (state: in {config.Path}), which is not set; export {variable}=postgresql://…");
        }
        else if (text.StartsWith(EnvironmentConnector.FilePrefix, StringComparison.Ordinal))
        {
            var file = text[EnvironmentConnector.FilePrefix.Length..];
            try
            {
                text = System.IO.File.ReadAllText(file).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException($"the state store's URL is read from {file} (state: in {config.Path}), which cannot be read ({e.Message}); check the path and that this account may read it");
            }
        }

        try
        {
            return Postgres(PgUrl.Parse(text));
        }
        catch (FormatException e)
        {
            throw new ConfigException($"the state store's URL (state: in {config.Path}) is not valid: {e.Message}");
        }
    }

    /// <summary>The file's path, or the URL with its password masked: safe to print.</summary>
    public override string ToString() => FilePath ?? Url!.ToString();
}
