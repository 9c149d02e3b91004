using System.Buffers.Binary;
using System.Text;
using Backstop.Recovery.Snapshots;

namespace Backstop.Recovery.Tests.Snapshots;

/// <summary>Binary COPY of text columns into COPY text, from a stream that hands over one byte at a time.</summary>
public sealed class BinaryCopyTextTests
{
    [Fact]
    public async Task CopyAsync_escapes_tabs_newlines_and_backslashes_writes_null_and_counts_rows_across_any_read_size()
    {
        var input = Binary(["1", "Globex\tIndustries\nEurope \\ Ltd, Zürich"], ["2", null]);
        using var output = new MemoryStream();
        var seen = new MemoryStream();

        var rows = await new BinaryCopyText(new OneByteStream(input)).CopyAsync(output, written => seen.Write(written.Span), CancellationToken.None);

        Assert.Equal(2, rows);
        Assert.Equal("1\tGlobex\\tIndustries\\nEurope \\\\ Ltd, Zürich\n2\t\\N\n", Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal(output.ToArray(), seen.ToArray());
    }

    [Fact]
    public async Task CopyAsync_refuses_output_cut_in_the_middle_of_a_row()
    {
        var input = Binary(["1", "cut"]);
        var cut = input[..^6];

        await Assert.ThrowsAsync<SnapshotException>(() => new BinaryCopyText(new MemoryStream(cut)).CopyAsync(new MemoryStream(), _ => { }, CancellationToken.None));
    }

    /// <summary>What PostgreSQL sends for COPY … (FORMAT binary) of text columns.</summary>
    private static byte[] Binary(params string?[][] rows)
    {
        var bytes = new List<byte>("PGCOPY\n"u8.ToArray()) { 0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0 };
        foreach (var row in rows)
        {
            bytes.AddRange(BigEndian16((short)row.Length));
            foreach (var field in row)
            {
                var data = field is null ? null : Encoding.UTF8.GetBytes(field);
                bytes.AddRange(BigEndian32(data?.Length ?? -1));
                bytes.AddRange(data ?? []);
            }
        }

        bytes.AddRange(BigEndian16(-1));
        return bytes.ToArray();
    }

    private static byte[] BigEndian16(short value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] BigEndian32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private sealed class OneByteStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
