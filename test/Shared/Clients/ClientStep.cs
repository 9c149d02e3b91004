using System.Text.Json;

namespace Backstop.Testing.Clients;

/// <summary>
/// One step for a client harness (test/clients/): a JSON line <c>{"op":...,"sql":...,"params":[...],"ms":N}</c> on the
/// program's standard input. Parameters are written with the client's own placeholders: <c>?</c> for pgjdbc,
/// <c>$1</c>, <c>$2</c>… for node-postgres (<see cref="IClientHarness.Parameter"/>). A step with parameters (even an
/// empty list) goes through a PreparedStatement (pgjdbc) or the extended protocol (node-postgres); one without, through
/// a plain Statement or the simple Query message.
/// </summary>
internal sealed record ClientStep
{
    private ClientStep(string op, string? sql = null, IReadOnlyList<object?>? parameters = null, int? milliseconds = null)
    {
        Op = op;
        Sql = sql;
        Params = parameters;
        Ms = milliseconds;
    }

    public string Op { get; }

    public string? Sql { get; }

    /// <summary>Numbers (int, long, short, decimal, double), strings, booleans or null.</summary>
    public IReadOnlyList<object?>? Params { get; }

    public int? Ms { get; }

    /// <summary>A statement that returns rows: columns and rows as text.</summary>
    public static ClientStep Query(string sql, IReadOnlyList<object?>? parameters = null) => new("query", sql, parameters);

    /// <summary>A statement that returns a count (INSERT, UPDATE, DELETE): the update count.</summary>
    public static ClientStep Update(string sql, IReadOnlyList<object?>? parameters = null) => new("update", sql, parameters);

    /// <summary>Anything (DDL, DO, SET): columns and rows if it gave rows, else the update count (0 for DDL).</summary>
    public static ClientStep Execute(string sql, IReadOnlyList<object?>? parameters = null) => new("execute", sql, parameters);

    /// <summary>pgjdbc: setAutoCommit(false), which sends BEGIN before the next statement; node-postgres: BEGIN.</summary>
    public static ClientStep Begin() => new("begin");

    public static ClientStep Commit() => new("commit");

    public static ClientStep Rollback() => new("rollback");

    /// <summary>pgjdbc: setAutoCommit(true) (commits an open transaction); node-postgres: nothing.</summary>
    public static ClientStep Autocommit() => new("autocommit");

    /// <summary>Runs <paramref name="sql"/> and cancels it from the side (a CancelRequest) after <paramref name="after"/>.</summary>
    public static ClientStep CancelAfter(string sql, TimeSpan after) => new("cancel_after_ms", sql, milliseconds: checked((int)after.TotalMilliseconds));

    /// <summary>The step as the one line the harness programs read.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("op", Op);
            if (Sql is not null)
            {
                writer.WriteString("sql", Sql);
            }

            if (Params is not null)
            {
                writer.WriteStartArray("params");
                foreach (var value in Params)
                {
                    WriteValue(writer, value);
                }

                writer.WriteEndArray();
            }

            if (Ms is { } ms)
            {
                writer.WriteNumber("ms", ms);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public override string ToString() => ToJson();

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case int or long or short or byte:
                writer.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case decimal number:
                writer.WriteNumberValue(number);
                break;
            case double number when double.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            default:
                throw new ArgumentException($"a client step parameter is a number, a string, a boolean or null, not {value.GetType().Name} ({value})");
        }
    }
}
