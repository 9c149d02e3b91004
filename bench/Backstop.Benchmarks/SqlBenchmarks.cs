using BenchmarkDotNet.Attributes;
using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;

namespace Backstop.Benchmarks;

/// <summary>
/// The SQL layer's hot paths: splitting a whole script (throughput; MB/s = <see cref="ScriptMegabytes"/> / mean time,
/// the script being ASCII) and classifying one typical ~200-character statement.
/// </summary>
[MemoryDiagnoser]
public class SqlBenchmarks
{
    private const string TypicalUpdate =
        "UPDATE app.orders AS o SET status = 'cancelled', note = note || ' (by support)', updated_at = now() " +
        "WHERE o.customer_id = 4711 AND o.status IN ('new', 'paid') AND o.created_at > now() - interval '1 day'";

    private const string TypicalDelete =
        "WITH stale AS (SELECT id FROM app.sessions WHERE last_seen < now() - interval '30 days') " +
        "DELETE FROM app.sessions s USING stale WHERE s.id = stale.id AND s.pinned = false RETURNING s.id";

    private string _script = "";
    private SqlStatement _update = null!;
    private SqlStatement _delete = null!;

    /// <summary>Size of the generated script in millions of characters (bytes, as it is ASCII).</summary>
    [Params(8)]
    public int ScriptMegabytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _script = SqlBenchmarkScript.Generate(ScriptMegabytes * 1_000_000);
        _update = SqlSplitter.Split(TypicalUpdate).Statements[0];
        _delete = SqlSplitter.Split(TypicalDelete).Statements[0];
    }

    /// <summary>
    /// The machine's own speed on the same input: a naive split at every ';' (wrong for SQL, but a floor no real
    /// splitter can beat), so that runs on a busy machine can be compared by their ratio.
    /// </summary>
    [Benchmark(Baseline = true, Description = "Baseline: string.Split at every ';'")]
    public int NaiveSplit() => _script.Split(';').Length;

    [Benchmark(Description = "Split script (lexer + splitter)")]
    public int SplitScript() => SqlSplitter.Split(_script).Statements.Count;

    [Benchmark(Description = "Classify ~200-char UPDATE")]
    public StatementInfo ClassifyUpdate() => StatementClassifier.Classify(_update);

    [Benchmark(Description = "Classify ~200-char DELETE with CTE")]
    public StatementInfo ClassifyDelete() => StatementClassifier.Classify(_delete);
}
