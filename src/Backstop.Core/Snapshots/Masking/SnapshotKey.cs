using System.Text;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;

namespace Backstop.Core.Snapshots.Masking;

/// <summary>The masking key of an environment, read from where <c>snapshot.key</c> points (an environment variable or a file).</summary>
public static class SnapshotKey
{
    /// <summary>Fewer bytes than HMAC-SHA256's own output would make the key the weakest part.</summary>
    public const int MinimumBytes = 32;

    /// <exception cref="ConfigException">no key reference, the variable or file is missing, or the key is shorter than 32 bytes.</exception>
    public static byte[] Read(string environment, string? reference, Func<string, string?> variables)
    {
        string text;
        if (reference is null)
        {
            throw new ConfigException(
                $"environment '{environment}' has no snapshot.key; masking is keyed so that the same value masks alike in every table and run. " +
                $"Put {MinimumBytes} random bytes or more in a variable or file (e.g. `openssl rand -base64 48`) and add `key: env:BACKSTOP_SNAPSHOT_KEY` under its snapshot:");
        }

        if (reference.StartsWith(EnvironmentConnector.VariablePrefix, StringComparison.Ordinal))
        {
            var name = reference[EnvironmentConnector.VariablePrefix.Length..];
            text = variables(name) ?? throw new ConfigException($"the snapshot key of environment '{environment}' is read from the variable {name}, which is not set; set it to {MinimumBytes} random bytes or more (e.g. `openssl rand -base64 48`)");
        }
        else if (reference.StartsWith(EnvironmentConnector.FilePrefix, StringComparison.Ordinal))
        {
            var path = reference[EnvironmentConnector.FilePrefix.Length..];
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException($"the snapshot key of environment '{environment}' is read from {path}, which cannot be read ({e.Message}); create it with {MinimumBytes} random bytes or more, readable by Backstop only");
            }
        }
        else
        {
            throw new ConfigException($"snapshot.key of environment '{environment}' must be env:VARNAME or file:PATH");
        }

        var key = Encoding.UTF8.GetBytes(text.Trim());
        return key.Length >= MinimumBytes
            ? key
            : throw new ConfigException($"the snapshot key of environment '{environment}' ({reference}) has {key.Length} bytes; it needs {MinimumBytes} or more (e.g. `openssl rand -base64 48`)");
    }
}
