using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backstop.Recovery.Snapshots;

/// <summary>One table of a snapshot: rows in the source's snapshot (null: not counted, the table was kept whole) and rows kept.</summary>
public sealed record SnapshotTable(string Schema, string Name, long? SourceRows, long KeptRows, IReadOnlyList<string> MaskedColumns)
{
    public string QualifiedName => $"{Schema}.{Name}";
}

/// <summary>What the drill found: restored with pg_restore (so foreign keys and unique constraints were created over the data) and row counts as kept.</summary>
public sealed record SnapshotDrill(bool Passed, double Seconds, IReadOnlyList<string> Failures);

/// <summary>What the leak scan found: how many original values it looked for, and where any appeared (never the values).</summary>
public sealed record SnapshotLeakScan(bool Passed, int SampledValues, IReadOnlyList<LeakHit> Hits);

/// <summary>
/// <c>manifest.json</c> of a snapshot, written last: where the data came from, under which rules (their fingerprint,
/// never the key), what each table kept, and the drill's and the leak scan's results. Only <c>usable</c> ones are
/// handed out.
/// </summary>
public sealed record SnapshotManifest
{
    public const string FileName = "manifest.json";

    /// <summary>The layout this Backstop writes and reads; a newer one is refused, not misread.</summary>
    public const int CurrentFormat = 1;

    public const string Usable = "usable";

    public const string Failed = "failed";

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int Format { get; init; } = CurrentFormat;

    public required string Id { get; init; }

    public required string Environment { get; init; }

    public required string Database { get; init; }

    public required string SystemIdentifier { get; init; }

    public required string ServerVersion { get; init; }

    /// <summary>When the snapshot was taken: the data is as of this moment.</summary>
    public required DateTimeOffset SnapshotTime { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>SHA-256 of the rules (tables, columns, kinds, arguments, where:, locale); two snapshots with the same one were masked alike.</summary>
    public required string SettingsFingerprint { get; init; }

    public required int Jobs { get; init; }

    public required IReadOnlyList<SnapshotTable> Tables { get; init; }

    public SnapshotDrill? Drill { get; init; }

    public SnapshotLeakScan? LeakScan { get; init; }

    /// <summary><see cref="Usable"/> or <see cref="Failed"/>.</summary>
    public required string Status { get; init; }

    /// <summary>Why it failed, in words; null when usable.</summary>
    public string? Message { get; init; }

    public long SizeBytes { get; init; }

    /// <summary>Seconds per step (schema, read, restore, rows, scan of the database, scan of the files), for benchmarks and slow runs.</summary>
    public IReadOnlyDictionary<string, double> Durations { get; init; } = new Dictionary<string, double>();

    [JsonIgnore]
    public bool IsUsable => Status == Usable;

    [JsonIgnore]
    public long KeptRows => Tables.Sum(t => t.KeptRows);

    /// <exception cref="SnapshotException">missing, damaged, or written by a newer Backstop.</exception>
    public static SnapshotManifest Read(string snapshotDirectory)
    {
        var path = Path.Combine(snapshotDirectory, FileName);
        if (!File.Exists(path))
        {
            throw new SnapshotException($"the snapshot at {snapshotDirectory} has no {FileName}: it was never completed, or the file was removed");
        }

        try
        {
            var text = File.ReadAllText(path);
            using (var document = JsonDocument.Parse(text))
            {
                if (document.RootElement.TryGetProperty("format", out var format) && format.TryGetInt32(out var version) && version > CurrentFormat)
                {
                    throw new SnapshotException(
                        $"the snapshot at {snapshotDirectory} has manifest format {version}, newer than this Backstop reads ({CurrentFormat}); upgrade Backstop to use it")
                    { IsUsageError = true };
                }
            }

            return JsonSerializer.Deserialize<SnapshotManifest>(text, JsonOptions) ?? throw new SnapshotException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new SnapshotException($"{path} is damaged and cannot be read ({e.Message}); the snapshot cannot be used");
        }
    }

    /// <summary>Writes the manifest and flushes it to disk.</summary>
    public void Write(string snapshotDirectory)
    {
        var path = Path.Combine(snapshotDirectory, FileName);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        JsonSerializer.Serialize(stream, this, JsonOptions);
        stream.Flush(flushToDisk: true);
    }
}
