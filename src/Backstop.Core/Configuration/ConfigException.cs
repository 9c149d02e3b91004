namespace Backstop.Core.Configuration;

/// <summary>backstop.yaml is missing or invalid; <see cref="Exception.Message"/> names the file, the line and the fix.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string file, long line, long column, string message)
        : base($"{file}:{line}:{column}: {message}")
    {
    }
}
