using System.Text;
using Npgsql;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// Streams one table's masked rows from production into its data file of the dump, never holding the table and
/// never writing a value before its masker has run.
/// </summary>
internal static class TableCopier
{
    private const int BufferSize = 1 << 20;

    /// <returns>the rows written.</returns>
    /// <param name="scanner">sees every character written, for the leak scan.</param>
    public static Task<long> CopyAsync(NpgsqlConnection connection, TableRead read, string file, LeakScanner scanner, Action<long> onBytes, CancellationToken cancellationToken) =>
        read.Binary ? CopyMaskedAsync(connection, read, file, scanner, onBytes, cancellationToken) : CopyTextAsync(connection, read, file, scanner, onBytes, cancellationToken);

    /// <summary>
    /// Nothing to mask in .NET: every column comes as its text in binary COPY, and <see cref="BinaryCopyText"/> turns
    /// that into the data file's format byte for byte (Npgsql's text export would decode and encode every character).
    /// </summary>
    private static async Task<long> CopyTextAsync(NpgsqlConnection connection, TableRead read, string file, LeakScanner scanner, Action<long> onBytes, CancellationToken cancellationToken)
    {
        await using var source = await connection.BeginRawBinaryCopyAsync(read.CopySql, cancellationToken);
        await using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
        var decoder = new UTF8Encoding(false).GetDecoder();
        var chars = new char[BufferSize];
        var rows = await new BinaryCopyText(source).CopyAsync(stream, written =>
        {
            // The leak scan reads characters: the bytes written, decoded (a character cut between two writes is kept by the decoder).
            var bytes = written.Span;
            while (bytes.Length > 0)
            {
                decoder.Convert(bytes, chars, flush: false, out var used, out var produced, out _);
                scanner.Feed(chars.AsSpan(0, produced));
                bytes = bytes[used..];
            }

            onBytes(written.Length);
        }, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        stream.Flush(flushToDisk: true);
        scanner.Complete();
        return rows;
    }

    private static async Task<long> CopyMaskedAsync(NpgsqlConnection connection, TableRead read, string file, LeakScanner scanner, Action<long> onBytes, CancellationToken cancellationToken)
    {
        await using var exporter = await connection.BeginBinaryExportAsync(read.CopySql, cancellationToken);
        await using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), BufferSize);
        var columns = read.Columns;
        var line = new StringBuilder(256);
        long rows = 0;
        long pending = 0;
        while (await exporter.StartRowAsync(cancellationToken) >= 0)
        {
            line.Clear();
            for (var i = 0; i < columns.Count; i++)
            {
                if (i > 0)
                {
                    line.Append('\t');
                }

                var column = columns[i];
                string? text;
                if (column.Masker is { } masker)
                {
                    object? original = null;
                    if (exporter.IsNull)
                    {
                        await exporter.SkipAsync(cancellationToken);
                    }
                    else
                    {
                        original = column.Read!.Read(exporter);
                    }

                    text = CopyText.Format(masker.Mask(original), column.Column.TypeName);
                }
                else if (exporter.IsNull)
                {
                    await exporter.SkipAsync(cancellationToken);
                    text = null;
                }
                else
                {
                    text = exporter.Read<string>(NpgsqlTypes.NpgsqlDbType.Text);
                }

                if (text is null)
                {
                    line.Append(CopyText.Null);
                }
                else
                {
                    CopyText.AppendEscaped(line, text);
                }
            }

            line.Append('\n');
            await writer.WriteAsync(line, cancellationToken);
            foreach (var chunk in line.GetChunks())
            {
                scanner.Feed(chunk.Span);
            }

            rows++;
            pending += line.Length;
            if ((rows & 0x3FF) == 0)
            {
                onBytes(pending);
                pending = 0;
            }
        }

        await writer.FlushAsync(cancellationToken);
        stream.Flush(flushToDisk: true);
        scanner.Complete();
        onBytes(pending);
        return rows;
    }
}
