using System.Globalization;
using System.Reflection;

namespace Backstop.Core.Migrations;

/// <summary>
/// Reads a schema's migrations from the SQL files embedded in this assembly under one prefix (see
/// Backstop.Core.csproj): <c>NNNN_what_it_does.sql</c>, numbered without gaps. Adding migration N+1 is adding its file.
/// </summary>
internal static class MigrationScripts
{
    /// <exception cref="InvalidOperationException">the files are not numbered first, first + 1, … (a build mistake).</exception>
    public static IReadOnlyList<Migration> Load(string prefix, int first)
    {
        var assembly = typeof(MigrationScripts).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix + "/", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => Read(assembly, name, name[(prefix.Length + 1)..^".sql".Length]))
            .OrderBy(m => m.Version)
            .ToList();
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != first + i)
            {
                throw new InvalidOperationException(
                    $"the migrations under {prefix} must be numbered from {first} without gaps or repeats, but number {first + i} is {migrations[i].Version}");
            }
        }

        return migrations.Count > 0 ? migrations : throw new InvalidOperationException($"no migrations are embedded under {prefix}");
    }

    private static Migration Read(Assembly assembly, string resource, string fileName)
    {
        var separator = fileName.IndexOf('_', StringComparison.Ordinal);
        if (separator < 1 || !int.TryParse(fileName[..separator], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            throw new InvalidOperationException($"the migration {resource} must be named NNNN_what_it_does.sql");
        }

        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return new Migration(version, fileName[(separator + 1)..], reader.ReadToEnd());
    }
}
