using System.Globalization;

namespace Backstop.Recovery.Backups;

/// <summary>
/// Where an environment's logical backups live: <c>&lt;root&gt;/&lt;env&gt;/&lt;id&gt;/</c>, each with
/// <c>manifest.json</c>, <c>roles.sql</c> and the pg_dump directory <c>dump/</c>. A backup is written under
/// <c>.partial-&lt;id&gt;</c> and renamed to its id only when complete, so a directory named by an id is whole.
/// </summary>
public sealed class BackupRepository(string root, string environment)
{
    public const string PartialPrefix = ".partial-";

    public string Root { get; } = root;

    public string Directory { get; } = Path.Combine(root, environment);

    public string PathOf(string id) => Path.Combine(Directory, id);

    public string PartialPathOf(string id) => Path.Combine(Directory, PartialPrefix + id);

    /// <summary>The lock a run holds while it writes backup <paramref name="id"/>.</summary>
    public string LockPathOf(string id) => Path.Combine(Directory, ".lock-" + id);

    /// <summary>A new id from the time, <c>yyyyMMdd-HHmmss</c> (UTC), with a suffix if that second is taken (on disk or in <paramref name="taken"/>).</summary>
    public string NewId(DateTimeOffset now, IReadOnlySet<string> taken)
    {
        var id = now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var candidate = id;
        for (var n = 2; taken.Contains(candidate) || System.IO.Directory.Exists(PathOf(candidate)) || System.IO.Directory.Exists(PartialPathOf(candidate)); n++)
        {
            candidate = $"{id}-{n.ToString(CultureInfo.InvariantCulture)}";
        }

        return candidate;
    }

    public void EnsureExists()
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        else
        {
            // Dumps hold all of a database's data: for their owner's eyes only.
            System.IO.Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public static long SizeOf(string directory) =>
        System.IO.Directory.Exists(directory) ? System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
}
