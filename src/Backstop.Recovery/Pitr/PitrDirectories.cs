using Backstop.Core.Configuration;
using Backstop.Postgres.Tools;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// Creates the directories and the pgBackRest configuration of <see cref="PitrLayout"/>, and makes them the cluster
/// owner's: pgBackRest runs as that user, and the server itself runs archive_command, which reads the configuration.
/// </summary>
internal static class PitrDirectories
{
    public static async Task PrepareAsync(BackstopConfig config, PitrLayout layout, ClusterOwner owner, ServerSettings settings, Action<string> changed, CancellationToken cancellationToken)
    {
        var created = !Directory.Exists(layout.Directory);
        Directory.CreateDirectory(layout.LogDirectory);
        Directory.CreateDirectory(layout.LockDirectory);
        var repositoryInside = layout.Repository.StartsWith(layout.Directory + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        var repositoryCreated = !Directory.Exists(layout.Repository);
        Directory.CreateDirectory(layout.Repository);

        var text = PgBackRestConfig.Render(layout, settings.Port, settings.SocketDirectory!);
        if (!File.Exists(layout.ConfigFile) || await File.ReadAllTextAsync(layout.ConfigFile, cancellationToken) != text)
        {
            await File.WriteAllTextAsync(layout.ConfigFile, text, cancellationToken);
            changed($"wrote {layout.ConfigFile}: stanza '{layout.Stanza}', repository {layout.Repository}, server on socket {settings.SocketDirectory} port {settings.Port}");
        }

        await owner.HandOverAsync(layout.Directory, cancellationToken);
        if (created && owner.SwitchesUser)
        {
            changed($"gave {layout.Directory} to '{owner.Name}', the cluster's owner: pgBackRest and archive_command run as that user");
        }

        if (!repositoryInside && repositoryCreated)
        {
            await owner.HandOverAsync(layout.Repository, cancellationToken);
            changed($"created the repository {layout.Repository}" + (owner.SwitchesUser ? $" and gave it to '{owner.Name}'" : ""));
        }

        if (owner.SwitchesUser && !OperatingSystem.IsWindows())
        {
            // .backstop/ holds the state store and is private (0700); others may pass through it to reach pitr/<env>
            // but not list it, and state.db stays readable by its owner only.
            foreach (var directory in new[] { config.StateDirectory, Path.Combine(config.StateDirectory, "pitr") })
            {
                var mode = File.GetUnixFileMode(directory);
                if (!mode.HasFlag(UnixFileMode.OtherExecute))
                {
                    File.SetUnixFileMode(directory, mode | UnixFileMode.OtherExecute);
                    changed($"let other users pass through {directory} (o+x, no listing), so that '{owner.Name}' reaches {layout.Directory}");
                }
            }
        }

        foreach (var directory in new[] { layout.Directory, layout.Repository })
        {
            if (!await owner.CanWriteAsync(directory, cancellationToken))
            {
                throw new PitrException(
                    $"'{owner.Name}', who runs pgBackRest for this cluster, cannot write to {directory}: it or a directory above it is closed to that user; " +
                    $"make the directories above it searchable (chmod o+x) and {directory} writable by '{owner.Name}', or keep backstop.yaml (or --repository) where that user can reach it");
            }
        }
    }
}
