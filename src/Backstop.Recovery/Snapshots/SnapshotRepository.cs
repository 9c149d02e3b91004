using System.Globalization;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// Where snapshots live: <c>&lt;state directory&gt;/snapshots/&lt;env&gt;/&lt;id&gt;/</c>, each with <c>manifest.json</c>
/// and the pg_dump directory <c>dump/</c>. A snapshot is written under <c>.partial-&lt;id&gt;</c> and renamed to its id
/// only when its manifest is written, so a directory named by an id is whole.
/// </summary>
public sealed class SnapshotRepository(string root)
{
    public const string PartialPrefix = ".partial-";

    public const string DumpDirectory = "dump";

    public string Root { get; } = root;

    public static SnapshotRepository For(Core.Configuration.BackstopConfig config) => new(Path.Combine(config.StateDirectory, "snapshots"));

    public string DirectoryOf(string environment) => Path.Combine(Root, environment);

    public string PathOf(string environment, string id) => Path.Combine(Root, environment, id);

    public string PartialPathOf(string environment, string id) => Path.Combine(Root, environment, PartialPrefix + id);

    /// <summary>The lock a run holds while it writes snapshot <paramref name="id"/>: a run is alive exactly while its lock is held.</summary>
    public string LockPathOf(string environment, string id) => Path.Combine(Root, environment, ".lock-" + id);

    /// <summary>Removes the <c>.partial-</c> directories of runs that are gone (killed or crashed): their lock can be taken.</summary>
    public void RemoveAbandoned(string environment)
    {
        var directory = DirectoryOf(environment);
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (var partial in Directory.GetDirectories(directory, PartialPrefix + "*"))
        {
            var lockPath = LockPathOf(environment, Path.GetFileName(partial)[PartialPrefix.Length..]);
            try
            {
                using (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
                {
                    Directory.Delete(partial, recursive: true);
                }

                File.Delete(lockPath);
            }
            catch (IOException)
            {
                // Held: that run is still writing.
            }
        }
    }

    /// <summary>A new id from the time, <c>yyyyMMdd-HHmmss</c> (UTC), with a suffix if that second is taken.</summary>
    public string NewId(string environment, DateTimeOffset now)
    {
        var id = now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var candidate = id;
        for (var n = 2; Directory.Exists(PathOf(environment, candidate)) || Directory.Exists(PartialPathOf(environment, candidate)); n++)
        {
            candidate = $"{id}-{n.ToString(CultureInfo.InvariantCulture)}";
        }

        return candidate;
    }

    public void EnsureExists(string environment)
    {
        // Snapshots hold (masked) copies of production: for their owner's eyes only.
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(DirectoryOf(environment));
            return;
        }

        Directory.CreateDirectory(Root, owner);
        Directory.CreateDirectory(DirectoryOf(environment), owner);
    }

    /// <summary>Completed snapshots (renamed into place), newest first, of one environment or all; each with its manifest or the error reading it.</summary>
    public IReadOnlyList<(string Environment, string Id, string Path, SnapshotManifest? Manifest, string? Error)> List(string? environment)
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        var environments = environment is null ? Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>() : [environment];
        var found = new List<(string, string, string, SnapshotManifest?, string?)>();
        foreach (var each in environments)
        {
            var directory = DirectoryOf(each);
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var path in Directory.GetDirectories(directory).Where(d => !Path.GetFileName(d).StartsWith('.')))
            {
                try
                {
                    found.Add((each, Path.GetFileName(path), path, SnapshotManifest.Read(path), null));
                }
                catch (SnapshotException e)
                {
                    found.Add((each, Path.GetFileName(path), path, null, e.Message));
                }
            }
        }

        return found.OrderByDescending(f => f.Item4?.StartedAt ?? DateTimeOffset.MinValue).ThenByDescending(f => f.Item2, StringComparer.Ordinal).ToList();
    }

    /// <summary>The snapshot <paramref name="id"/> of any environment.</summary>
    /// <exception cref="SnapshotException">no such snapshot (usage error).</exception>
    public (string Environment, string Path, SnapshotManifest Manifest) Find(string id)
    {
        var matches = List(null).Where(s => s.Id == id).ToList();
        return matches.Count switch
        {
            0 => throw new SnapshotException($"there is no snapshot '{id}'; `backstop snapshot list` shows them") { IsUsageError = true },
            > 1 => throw new SnapshotException($"snapshot id '{id}' exists in several environments ({string.Join(", ", matches.Select(m => m.Environment))}); remove the one you do not want") { IsUsageError = true },
            _ => (matches[0].Environment, matches[0].Path, matches[0].Manifest ?? throw new SnapshotException(matches[0].Error!) { IsUsageError = true }),
        };
    }

    public static long SizeOf(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
}
