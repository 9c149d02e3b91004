using Npgsql;

namespace Backstop.Core.Capture;

/// <summary>
/// Reads SQL text from the catalogs (pg_get_constraintdef, pg_get_expr, format_type) that Backstop replays later, when
/// the search_path may differ: with search_path set to pg_catalog alone, every name in that text comes out qualified.
/// The session's own search_path is put back afterwards, since the change's later statements depend on it.
/// </summary>
internal static class CatalogText
{
    public static async Task<T> ReadQualifiedAsync<T>(NpgsqlConnection connection, Func<Task<T>> read, CancellationToken cancellationToken)
    {
        string previous;
        await using (var set = new NpgsqlCommand("SELECT current_setting('search_path'), set_config('search_path', 'pg_catalog', true)", connection))
        await using (var reader = await set.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            previous = reader.GetString(0);
        }

        try
        {
            return await read();
        }
        finally
        {
            await using var restore = new NpgsqlCommand("SELECT set_config('search_path', @previous, true)", connection);
            restore.Parameters.AddWithValue("previous", previous);
            await restore.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
