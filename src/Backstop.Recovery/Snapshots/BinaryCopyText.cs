using System.Buffers.Binary;
using System.Text;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// Turns binary COPY output whose every column is text (<c>SELECT a::text, b::text …</c>) into COPY's text format,
/// byte for byte, without decoding a character: the field's bytes are its text, escaped. Format (docs: "COPY → Binary
/// Format"): the signature <c>PGCOPY\n\377\r\n\0</c>, a 32-bit flags field, a 32-bit header extension length and the
/// extension; then per tuple a 16-bit field count (-1 ends the data) and per field a 32-bit length (-1 for NULL)
/// and that many bytes. Integers are in network byte order.
/// </summary>
internal sealed class BinaryCopyText(Stream source)
{
    private static readonly byte[] Signature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    private byte[] _buffer = new byte[1 << 20];
    private int _start;
    private int _end;

    /// <summary>Copies the rows into <paramref name="target"/>; <paramref name="onWritten"/> sees every byte written.</summary>
    /// <returns>the rows copied.</returns>
    public async Task<long> CopyAsync(Stream target, Action<ReadOnlyMemory<byte>> onWritten, CancellationToken cancellationToken)
    {
        await EnsureAsync(19, cancellationToken);
        if (!_buffer.AsSpan(_start, 11).SequenceEqual(Signature))
        {
            throw new SnapshotException("the source's COPY output does not start with the binary COPY signature");
        }

        var extension = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + 15));
        _start += 19;
        await EnsureAsync(extension, cancellationToken);
        _start += extension;

        var output = new byte[1 << 20];
        var used = 0;
        long rows = 0;
        while (true)
        {
            await EnsureAsync(2, cancellationToken);
            var fields = BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(_start));
            _start += 2;
            if (fields < 0)
            {
                break;
            }

            for (var i = 0; i < fields; i++)
            {
                await EnsureAsync(4, cancellationToken);
                var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
                _start += 4;
                if (length > 0)
                {
                    await EnsureAsync(length, cancellationToken);
                }

                // Worst case every byte doubles when escaped, plus the separator and a NULL marker.
                var needed = Math.Max(length, 0) * 2 + 3;
                if (used + needed > output.Length)
                {
                    await FlushAsync(target, output, used, onWritten, cancellationToken);
                    used = 0;
                    if (needed > output.Length)
                    {
                        output = new byte[needed];
                    }
                }

                if (i > 0)
                {
                    output[used++] = (byte)'\t';
                }

                if (length < 0)
                {
                    output[used++] = (byte)'\\';
                    output[used++] = (byte)'N';
                    continue;
                }

                used += Escape(_buffer.AsSpan(_start, length), output.AsSpan(used));
                _start += length;
            }

            if (used == output.Length)
            {
                await FlushAsync(target, output, used, onWritten, cancellationToken);
                used = 0;
            }

            output[used++] = (byte)'\n';
            rows++;
        }

        await FlushAsync(target, output, used, onWritten, cancellationToken);
        return rows;
    }

    /// <summary>COPY text escapes: backslash, newline, carriage return and tab (UTF-8 never uses these bytes inside a character).</summary>
    private static int Escape(ReadOnlySpan<byte> text, Span<byte> into)
    {
        var written = 0;
        while (text.Length > 0)
        {
            var at = text.IndexOfAny("\\\n\r\t"u8);
            var run = at < 0 ? text : text[..at];
            run.CopyTo(into[written..]);
            written += run.Length;
            if (at < 0)
            {
                break;
            }

            into[written++] = (byte)'\\';
            into[written++] = text[at] switch
            {
                (byte)'\n' => (byte)'n',
                (byte)'\r' => (byte)'r',
                (byte)'\t' => (byte)'t',
                _ => (byte)'\\',
            };
            text = text[(at + 1)..];
        }

        return written;
    }

    private static async Task FlushAsync(Stream target, byte[] output, int used, Action<ReadOnlyMemory<byte>> onWritten, CancellationToken cancellationToken)
    {
        if (used == 0)
        {
            return;
        }

        await target.WriteAsync(output.AsMemory(0, used), cancellationToken);
        onWritten(output.AsMemory(0, used));
    }

    /// <summary>Makes at least <paramref name="count"/> unread bytes available from <c>_start</c>.</summary>
    private async Task EnsureAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return;
        }

        if (count > _buffer.Length)
        {
            var larger = new byte[count];
            _buffer.AsSpan(_start, _end - _start).CopyTo(larger);
            _buffer = larger;
        }
        else
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        }

        _end -= _start;
        _start = 0;
        while (_end < count)
        {
            var read = await source.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                throw new SnapshotException("the source's COPY output ended in the middle of a row");
            }

            _end += read;
        }
    }
}
