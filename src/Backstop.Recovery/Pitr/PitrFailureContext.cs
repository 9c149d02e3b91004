using Backstop.Postgres.Sandbox;

namespace Backstop.Recovery.Pitr;

/// <summary>What is needed to explain a clone whose server stopped during recovery: the target, the archive, the source.</summary>
internal sealed record PitrFailureContext(PitrLayout Layout, CloneTarget Target, string? ArchiveMax, bool SourceReachable)
{
    /// <summary>Where the clone's server log is kept when a failed clone is removed.</summary>
    public string LogCopy(SandboxCluster clone) => Path.Combine(Layout.LogDirectory, clone.Info.Name + "-server.log");

    /// <summary>Copies the clone's server log into the pitr log directory, so that it outlives the removed clone.</summary>
    public void KeepLog(SandboxCluster clone)
    {
        try
        {
            if (File.Exists(clone.Info.LogFile))
            {
                File.Copy(clone.Info.LogFile, LogCopy(clone), overwrite: true);
            }
        }
        catch (IOException)
        {
            // The failure itself is what the user needs to hear about; a log that cannot be kept is no reason to hide it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public PitrException FromLog(SandboxCluster clone, string what)
    {
        var log = CloneRecovery.ReadLog(clone);
        var target = Target.Display;
        var reach = Target.Lsn is null ? "a commit after the target" : "the target location";
        if (log.Contains("recovery ended before configured recovery target was reached", StringComparison.Ordinal))
        {
            var why = SourceReachable
                ? $"WAL past the target should have been archived: check the source's archive_command and pgBackRest's log in {Layout.LogDirectory}"
                : "the source was not reachable, so its latest WAL could not be archived: try again when it is, or choose an earlier time";
            return new PitrException(
                $"the archive of environment '{Layout.Environment}' ends before {target}: the clone replayed all archived WAL (through {ArchiveMax ?? "the last segment"}) " +
                $"without reaching {reach}, and PostgreSQL refuses to finish a recovery short of its target; {why}");
        }

        if (log.Contains("before consistent recovery point", StringComparison.Ordinal))
        {
            return new PitrException($"{target} is before the end of the restored backup, so no consistent state exists at that {(Target.Lsn is null ? "time" : "location")}; choose a later {(Target.Lsn is null ? "time" : "location")}");
        }

        return new PitrException($"{what}: {CloneRecovery.Tail(log)} (the clone's log is kept as {LogCopy(clone)})");
    }
}
