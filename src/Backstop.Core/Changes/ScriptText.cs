using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Backstop.Sql;

namespace Backstop.Core.Changes;

/// <summary>A script's text as the server will receive it: UTF-8, without NUL characters.</summary>
public static class ScriptText
{
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>Decodes a script file's bytes as UTF-8 (a leading byte order mark is dropped).</summary>
    /// <exception cref="ScriptRejectedException">the bytes are not valid UTF-8; the message gives the line and column of the first bad byte.</exception>
    public static string Decode(ReadOnlySpan<byte> bytes, string origin)
    {
        if (bytes.StartsWith(Utf8Bom))
        {
            bytes = bytes[Utf8Bom.Length..];
        }

        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        var status = Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            var at = Locate(chars.AsSpan(0, written));
            throw new ScriptRejectedException(
                $"{origin} is not valid UTF-8: byte 0x{bytes[read]:X2} at line {at.Line}, column {at.Column} (byte offset {read}) starts no valid character; " +
                "save the script as UTF-8 (for example `iconv -f LATIN1 -t UTF-8`); nothing was executed");
        }

        return new string(chars, 0, written);
    }

    /// <summary>
    /// A NUL ends a string in the protocol's messages (docs: "Message Data Types", String), so the server would run only the text
    /// before it: refuse it rather than let the server run a different statement from the one judged.
    /// </summary>
    /// <exception cref="ScriptRejectedException">the text holds a NUL character.</exception>
    public static void RefuseNul(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var nul = text.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            var at = Locate(text.AsSpan(0, nul));
            throw new ScriptRejectedException(
                $"the script holds a NUL character at line {at.Line}, column {at.Column}; PostgreSQL cannot take one in a statement's text, so remove it (is this a binary file?); nothing was executed");
        }
    }

    /// <summary>The position just after <paramref name="before"/>, one-based.</summary>
    private static SourcePosition Locate(ReadOnlySpan<char> before)
    {
        var lastNewline = before.LastIndexOf('\n');
        return new SourcePosition(before.Length, before.Count('\n') + 1, before.Length - lastNewline);
    }
}
