using System.CommandLine;
using Backstop.Core.Audit;
using Backstop.Core.Configuration;

namespace Backstop.Cli.Commands;

/// <summary><c>--key FILE</c>: the checkpoint signing key, by default <c>.backstop/server-signing-key.pem</c> beside backstop.yaml.</summary>
internal static class AuditKeyOption
{
    public static Option<string?> Create() => new("--key")
    {
        Description = $"The checkpoint signing key (PEM, mode 0600; default: .backstop/{AuditSigningKey.DefaultFileName} beside backstop.yaml)",
    };

    /// <summary>The key file's path: the option's, relative to the working directory, or the default beside the configuration.</summary>
    public static string PathOf(CommandContext context, BackstopConfig config, string? given) =>
        given is not null ? Path.GetFullPath(given, context.Host.WorkingDirectory)
            : config.Server is { } server ? config.Resolve(server.SigningKey)
            : Path.Combine(config.StateDirectory, AuditSigningKey.DefaultFileName);
}
