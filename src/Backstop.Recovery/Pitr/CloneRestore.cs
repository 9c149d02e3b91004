using Backstop.Postgres.Sandbox;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// Writes a clone's data directory with <c>pgbackrest restore</c> and readies its configuration: the clone must
/// never archive into the source's repository, must pause at the target rather than run on, and must be reachable
/// by Backstop without the source's passwords.
/// </summary>
internal static class CloneRestore
{
    /// <summary>
    /// The sandbox's own settings (port, socket, loopback) are added by <see cref="SandboxCluster.StartRestoredAsync"/>;
    /// these make the recovery stop and wait at the target, log where the sandbox can read it, read the access rules
    /// from the clone's own pg_hba.conf, and keep the socket to the cluster owner (and root).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Settings(SandboxCluster clone, CloneTarget target)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["hba_file"] = Path.Combine(clone.Info.DataDirectory, "pg_hba.conf"),
            ["ident_file"] = Path.Combine(clone.Info.DataDirectory, "pg_ident.conf"),
            ["archive_mode"] = "off",
            ["hot_standby"] = "on",
            ["recovery_target_action"] = "pause",
            ["logging_collector"] = "off",
            ["log_destination"] = "stderr",
            ["log_min_messages"] = "warning",
            ["unix_socket_permissions"] = "0700",
        };
        foreach (var (name, value) in target.Settings)
        {
            settings[name] = value;
        }

        return settings;
    }

    private const string HbaHeader = """
        # Backstop clone: the cluster owner (and root) reach the clone through its socket, which only they may open
        # (unix_socket_permissions = 0700); everyone else authenticates as on the source.
        local all all trust
        """;

    public static async Task RestoreAsync(PitrStanza stanza, SandboxCluster clone, PitrBackup backup, CloneTarget target, CancellationToken cancellationToken)
    {
        var owner = stanza.BackRest.Owner;
        var data = clone.Info.DataDirectory;
        var tablespaces = Path.Combine(clone.Info.Directory, "tablespaces");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(data);
        }
        else
        {
            Directory.CreateDirectory(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.CreateDirectory(tablespaces);
        await owner.HandOverAsync(clone.Info.Directory, cancellationToken);

        // Tablespaces go inside the clone's directory: restored to their original paths they would collide with the source's.
        var result = await stanza.BackRest.RunAsync(
            "restore",
            [
                .. target.RestoreOptions,
                "--target-action=pause",
                $"--set={backup.Label}",
                $"--pg1-path={data}",
                "--archive-mode=off",
                $"--tablespace-map-all={tablespaces}",
            ],
            cancellationToken);
        if (!result.Succeeded)
        {
            throw new PitrException($"pgbackrest restore of backup {backup.Label} into {data} failed: {result.ErrorSummary()} (its log: {stanza.Layout.LogDirectory})");
        }

        await ConfigureAccessAsync(clone, owner, cancellationToken);
    }

    /// <summary>
    /// Puts the trust line for the owner's socket first in pg_hba.conf. A cluster whose configuration lives outside its
    /// data directory (Debian's layout) brings none in its backup: the clone gets an empty postgresql.conf and a
    /// pg_hba.conf that asks everyone else for a password.
    /// </summary>
    private static async Task ConfigureAccessAsync(SandboxCluster clone, Postgres.Tools.ClusterOwner owner, CancellationToken cancellationToken)
    {
        var data = clone.Info.DataDirectory;
        var hba = Path.Combine(data, "pg_hba.conf");
        var created = false;
        if (!File.Exists(Path.Combine(data, "postgresql.conf")))
        {
            await File.WriteAllTextAsync(Path.Combine(data, "postgresql.conf"), "# Backstop clone of a cluster configured outside its data directory\n", cancellationToken);
            created = true;
        }

        if (!File.Exists(Path.Combine(data, "pg_ident.conf")))
        {
            await File.WriteAllTextAsync(Path.Combine(data, "pg_ident.conf"), "", cancellationToken);
            created = true;
        }

        var rest = File.Exists(hba)
            ? await File.ReadAllTextAsync(hba, cancellationToken)
            : "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n";
        created |= !File.Exists(hba);
        await File.WriteAllTextAsync(hba, HbaHeader + "\n\n" + rest, cancellationToken);
        if (created)
        {
            await owner.HandOverAsync(data, cancellationToken);
        }
    }
}
