using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Snapshots;

namespace Backstop.Cli.Tests.Snapshots;

/// <summary>
/// A small deterministic stand-in for the real masker factory, for the pipeline's tests: text becomes "m_" and 16 hex
/// digits of an HMAC of the value (an email stays an email), integers keyed integers, null stays null; <c>set</c> gives
/// its constant and <c>null</c> NULL.
/// </summary>
internal sealed class TestMaskerFactory(byte[] key) : IMaskerFactory
{
    public IValueMasker Create(TableRule table, ColumnRule rule, SnapshotColumn column) => rule.Kind switch
    {
        MaskKind.Null => new Masker(_ => null),
        MaskKind.Set => new Masker(_ => rule.Argument),
        _ => new Masker(value => Mask(value, rule.Argument)),
    };

    private object? Mask(object? value, string? kind) => value switch
    {
        null => null,
        string text when kind == "email" => "m_" + Hex(text) + "@example.test",
        string text => "m_" + Hex(text),
        int number => (int)(BitConverter.ToUInt32(Hmac(number.ToString(CultureInfo.InvariantCulture))) & 0x3FFFFFFF),
        long number => (long)(BitConverter.ToUInt64(Hmac(number.ToString(CultureInfo.InvariantCulture))) & 0x3FFFFFFFFFFFFFFF),
        _ => "m_" + Hex(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    private string Hex(string text) => Convert.ToHexStringLower(Hmac(text))[..16];

    private byte[] Hmac(string text) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text));

    private sealed class Masker(Func<object?, object?> mask) : IValueMasker
    {
        public object? Mask(object? value) => mask(value);
    }
}
