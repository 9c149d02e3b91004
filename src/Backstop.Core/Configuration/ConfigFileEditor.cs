using System.Globalization;
using System.Text;
using Backstop.Postgres.Catalog;

namespace Backstop.Core.Configuration;

/// <summary>
/// Edits backstop.yaml as text, so that the user's comments and layout survive: adds an environment
/// block, replaces its identity line, or writes its <c>pitr:</c> section. Every edit is parsed before it is written, and written to a
/// temporary file that replaces the original, so a failed edit leaves the file as it was.
/// </summary>
public static class ConfigFileEditor
{
    public static void AddEnvironment(string path, string name, string url, Tier tier, string? timezone, ServerIdentity identity)
    {
        var lines = File.ReadAllLines(path).ToList();
        var header = lines.FindIndex(l => l.StartsWith("environments:", StringComparison.Ordinal));
        if (header < 0)
        {
            lines.Insert(0, "environments:");
            header = 0;
        }
        else if (lines[header].Trim() != "environments:")
        {
            lines[header] = "environments:";
        }

        // The block ends before the next top-level key (a line starting with a letter); comments and blank lines
        // just before that key belong to it.
        var end = header + 1;
        while (end < lines.Count && (lines[end].Length == 0 || char.IsWhiteSpace(lines[end][0]) || lines[end][0] == '#'))
        {
            end++;
        }

        while (end > header + 1 && (lines[end - 1].Trim().Length == 0 || lines[end - 1].StartsWith('#')))
        {
            end--;
        }

        var block = new List<string>
        {
            $"  {name}:",
            $"    url: {Quote(url)}",
            $"    tier: {tier.ToString().ToLowerInvariant()}",
        };
        if (timezone is not null)
        {
            block.Add($"    timezone: {Quote(timezone)}");
        }

        block.Add(IdentityLine(identity));
        lines.InsertRange(end, block);
        Save(path, lines);
    }

    public static void SetIdentity(string path, string name, ServerIdentity identity)
    {
        var lines = File.ReadAllLines(path).ToList();
        var (start, end) = FindEnvironment(lines, path, name, "its identity");
        var existing = lines.FindIndex(start, end - start, l => l.StartsWith("    identity:", StringComparison.Ordinal));
        if (existing >= 0)
        {
            var identityEnd = existing + 1;
            while (identityEnd < end && lines[identityEnd].StartsWith("      ", StringComparison.Ordinal))
            {
                identityEnd++;
            }

            lines.RemoveRange(existing, identityEnd - existing);
            lines.Insert(existing, IdentityLine(identity));
        }
        else
        {
            lines.Insert(start + 1, IdentityLine(identity));
        }

        Save(path, lines);
    }

    /// <summary>Writes the environment's <c>pitr:</c> section (pgdata, repository, stanza), replacing the one there is.</summary>
    public static void SetPitr(string path, string name, PitrSettings pitr)
    {
        var lines = File.ReadAllLines(path).ToList();
        var (start, end) = FindEnvironment(lines, path, name, "its pitr section");
        var section = new List<string> { "    pitr:", $"      pgdata: {Quote(pitr.DataDirectory)}" };
        if (pitr.Repository is not null)
        {
            section.Add($"      repository: {Quote(pitr.Repository)}");
        }

        if (pitr.Stanza is not null)
        {
            section.Add($"      stanza: {Quote(pitr.Stanza)}");
        }

        ReplaceSection(lines, start, end, "pitr", section);
        Save(path, lines);
    }

    /// <summary>Writes the environment's <c>snapshot:</c> section (its lines, indented by 4), replacing the one there is, comments inside it included.</summary>
    public static void SetSnapshot(string path, string name, IReadOnlyList<string> section)
    {
        var lines = File.ReadAllLines(path).ToList();
        var (start, end) = FindEnvironment(lines, path, name, "its snapshot section");
        ReplaceSection(lines, start, end, "snapshot", section);
        Save(path, lines);
    }

    /// <summary>Replaces the <c>    key:</c> section of the environment block [start, end), or adds it after the block's last line.</summary>
    private static void ReplaceSection(List<string> lines, int start, int end, string key, IReadOnlyList<string> section)
    {
        var existing = lines.FindIndex(start, end - start, l => l.StartsWith($"    {key}:", StringComparison.Ordinal));
        if (existing >= 0)
        {
            var sectionEnd = existing + 1;
            while (sectionEnd < end && (lines[sectionEnd].StartsWith("      ", StringComparison.Ordinal) || (lines[sectionEnd].Trim().Length == 0 && sectionEnd + 1 < end && lines[sectionEnd + 1].StartsWith("      ", StringComparison.Ordinal))))
            {
                sectionEnd++;
            }

            lines.RemoveRange(existing, sectionEnd - existing);
            lines.InsertRange(existing, section);
        }
        else
        {
            // After the block's last line, before the blank lines that separate it from the next one.
            var last = end;
            while (last > start + 1 && lines[last - 1].Trim().Length == 0)
            {
                last--;
            }

            lines.InsertRange(last, section);
        }
    }

    /// <summary>The lines of an environment's block: its <c>  name:</c> line and the indented lines after it.</summary>
    private static (int Start, int End) FindEnvironment(List<string> lines, string path, string name, string what)
    {
        var header = lines.FindIndex(l => l.StartsWith("environments:", StringComparison.Ordinal));
        var blockEnd = header + 1;
        while (header >= 0 && blockEnd < lines.Count && (lines[blockEnd].Length == 0 || char.IsWhiteSpace(lines[blockEnd][0]) || lines[blockEnd][0] == '#'))
        {
            blockEnd++;
        }

        var start = header < 0 ? -1 : lines.FindIndex(header, blockEnd - header, l => l == $"  {name}:" || l == $"  \"{name}\":");
        if (start < 0)
        {
            throw new ConfigException($"environment '{name}' was not found as a block '  {name}:' in {path}; edit {what} by hand");
        }

        var end = start + 1;
        while (end < lines.Count && (lines[end].StartsWith("    ", StringComparison.Ordinal) || lines[end].Trim().Length == 0))
        {
            end++;
        }

        return (start, end);
    }

    private static string IdentityLine(ServerIdentity identity)
    {
        var oid = identity.DatabaseOid is { } value ? string.Create(CultureInfo.InvariantCulture, $", database_oid: {value}") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"    identity: {{ system_identifier: \"{identity.SystemIdentifier}\", database: {Quote(identity.Database)}{oid}, host: {Quote(identity.Host)}, port: {identity.Port} }}");
    }

    /// <summary>A YAML double-quoted scalar.</summary>
    internal static string Quote(string value)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in value)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }

    private static void Save(string path, List<string> lines)
    {
        var text = string.Join('\n', lines) + "\n";
        ConfigLoader.Parse(text, path);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, File.GetUnixFileMode(path));
        }

        File.Move(temporary, path, overwrite: true);
    }
}
