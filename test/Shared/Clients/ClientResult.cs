using System.Text.Json;

namespace Backstop.Testing.Clients;

/// <summary>
/// What a client harness answered for one step: <c>{"ok":true,"columns":[...],"rows":[[...]],"updateCount":N}</c> or
/// <c>{"ok":false,"sqlstate":...,"message":...,"detail":...,"hint":...}</c>, with <c>"notices":[...]</c> when the
/// server sent any. Values in rows are the server's text (pgjdbc getString(), node-postgres without type parsing).
/// </summary>
internal sealed record ClientResult(
    bool Ok,
    IReadOnlyList<string>? Columns,
    IReadOnlyList<IReadOnlyList<string?>>? Rows,
    long? UpdateCount,
    string? SqlState,
    string? Message,
    string? Detail,
    string? Hint)
{
    /// <summary>The messages of the server's notices (pgjdbc's warnings) during the step.</summary>
    public IReadOnlyList<string> Notices { get; init; } = [];

    /// <summary>The single value of a one-row, one-column answer.</summary>
    public string? Scalar =>
        Ok && Rows is [[var value]] ? value : throw new InvalidOperationException($"not a single value: {this}");

    public override string ToString() => Ok
        ? $"ok{(Columns is null ? "" : $" columns [{string.Join(", ", Columns)}]")}{(Rows is null ? "" : $" rows [{string.Join(", ", Rows.Select(row => "[" + string.Join(", ", row.Select(value => value ?? "NULL")) + "]"))}]")}{(UpdateCount is null ? "" : $" count {UpdateCount}")}"
        : $"error {SqlState}: {Message}{(Detail is null ? "" : $" (detail: {Detail})")}{(Hint is null ? "" : $" (hint: {Hint})")}";

    /// <summary>Reads one result line, or the fields of a <c>{"connected":false,...}</c> line.</summary>
    public static ClientResult Parse(JsonElement line) => new(
        line.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True,
        line.TryGetProperty("columns", out var columns) && columns.ValueKind == JsonValueKind.Array
            ? columns.EnumerateArray().Select(column => column.GetString()!).ToArray()
            : null,
        line.TryGetProperty("rows", out var rows) && rows.ValueKind == JsonValueKind.Array
            ? rows.EnumerateArray().Select(row => (IReadOnlyList<string?>)row.EnumerateArray().Select(value => value.GetString()).ToArray()).ToArray()
            : null,
        line.TryGetProperty("updateCount", out var count) && count.ValueKind == JsonValueKind.Number ? count.GetInt64() : null,
        Text(line, "sqlstate"),
        Text(line, "message"),
        Text(line, "detail"),
        Text(line, "hint"))
    {
        Notices = line.TryGetProperty("notices", out var notices) && notices.ValueKind == JsonValueKind.Array
            ? notices.EnumerateArray().Select(notice => notice.GetString()!).ToArray()
            : [],
    };

    private static string? Text(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
