using System.Text.Json;
using NpgsqlTypes;

namespace Backstop.Recovery.Pitr;

/// <summary>A stanza as <c>pgbackrest info --output=json</c> describes it (docs: pgBackRest "Command Reference → info").</summary>
public sealed record StanzaInfo
{
    public required string Name { get; init; }

    /// <summary>0: ok; 1: missing stanza path; 2: no valid backups; others: see the message.</summary>
    public required int StatusCode { get; init; }

    public required string StatusMessage { get; init; }

    /// <summary>Oldest first.</summary>
    public required IReadOnlyList<PitrBackup> Backups { get; init; }

    public string? ArchiveMin { get; init; }

    public string? ArchiveMax { get; init; }

    public static StanzaInfo Parse(string json, string stanza)
    {
        using var document = JsonDocument.Parse(json);
        var element = document.RootElement.EnumerateArray().FirstOrDefault(s => s.GetProperty("name").GetString() == stanza);
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new PitrException($"pgbackrest info does not list the stanza '{stanza}'");
        }

        var backups = new List<PitrBackup>();
        if (element.TryGetProperty("backup", out var list))
        {
            foreach (var backup in list.EnumerateArray())
            {
                var timestamp = backup.GetProperty("timestamp");
                var info = backup.GetProperty("info");
                backups.Add(new PitrBackup
                {
                    Label = backup.GetProperty("label").GetString()!,
                    Type = backup.GetProperty("type").GetString()!,
                    StartedAt = DateTimeOffset.FromUnixTimeSeconds(timestamp.GetProperty("start").GetInt64()),
                    StoppedAt = DateTimeOffset.FromUnixTimeSeconds(timestamp.GetProperty("stop").GetInt64()),
                    DatabaseBytes = info.GetProperty("size").GetInt64(),
                    RepositoryBytes = info.GetProperty("repository").GetProperty("delta").GetInt64(),
                    WalStart = backup.TryGetProperty("archive", out var archive) ? archive.GetProperty("start").GetString() : null,
                    WalStop = archive.ValueKind == JsonValueKind.Object ? archive.GetProperty("stop").GetString() : null,
                    LsnStop = backup.TryGetProperty("lsn", out var lsn) && lsn.TryGetProperty("stop", out var stop) && NpgsqlLogSequenceNumber.TryParse(stop.GetString() ?? "", out var stopLsn)
                        ? stopLsn
                        : null,
                    HasErrors = backup.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.True,
                });
            }
        }

        var archives = element.TryGetProperty("archive", out var a) ? a.EnumerateArray().ToList() : [];
        var status = element.GetProperty("status");
        return new StanzaInfo
        {
            Name = stanza,
            StatusCode = status.GetProperty("code").GetInt32(),
            StatusMessage = status.GetProperty("message").GetString() ?? "",
            Backups = backups.OrderBy(b => b.StoppedAt).ToList(),
            ArchiveMin = archives.Select(x => x.TryGetProperty("min", out var min) ? min.GetString() : null).Where(x => x is not null).Min(StringComparer.Ordinal),
            ArchiveMax = archives.Select(x => x.TryGetProperty("max", out var max) ? max.GetString() : null).Where(x => x is not null).Max(StringComparer.Ordinal),
        };
    }
}
