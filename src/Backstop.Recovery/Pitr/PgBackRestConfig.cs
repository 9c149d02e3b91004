using System.Globalization;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// The pgBackRest configuration file Backstop writes for one environment (docs: pgBackRest "Configuration
/// Reference"). The server is reached through its Unix socket as the cluster's owner, so no password is needed.
/// </summary>
public static class PgBackRestConfig
{
    /// <summary>The file's text. <c>start-fast</c>: a backup asks for an immediate checkpoint instead of waiting for the next one.</summary>
    public static string Render(PitrLayout layout, int port, string socketDirectory)
    {
        foreach (var value in new[] { layout.Repository, layout.LogDirectory, layout.LockDirectory, layout.DataDirectory, socketDirectory, layout.Stanza })
        {
            if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal))
            {
                throw new PitrException($"'{value}' contains a line break, which a pgBackRest configuration file cannot hold; choose another path", isUsageError: true);
            }
        }

        return string.Join('\n',
            "# Written by Backstop (`backstop pitr enable`); it is written again each time that runs.",
            "[global]",
            $"repo1-path={layout.Repository}",
            $"log-path={layout.LogDirectory}",
            $"lock-path={layout.LockDirectory}",
            "log-level-file=info",
            "start-fast=y",
            "",
            $"[{layout.Stanza}]",
            $"pg1-path={layout.DataDirectory}",
            $"pg1-port={port.ToString(CultureInfo.InvariantCulture)}",
            $"pg1-socket-path={socketDirectory}",
            "");
    }
}
