using System.Net;
using Backstop.Core.Snapshots.Rules;
using NpgsqlTypes;

namespace Backstop.Core.Snapshots.Masking;

/// <summary>
/// Makes the maskers of one snapshot run (docs/snapshots.md "Masking and determinism"). Every masker is keyed by
/// HMAC-SHA256 under the environment's snapshot key: the same input masks to the same output in every table and run.
/// A masker of a unique column also refuses to give two rows one value (<see cref="UniquenessLostException"/>), so make
/// a factory per run. The rules check refuses every rule a masker cannot carry out before any masker is made.
/// </summary>
public sealed class SnapshotMaskerFactory : IMaskerFactory
{
    private readonly KeyedHash _hash;
    private readonly IntegerPermutation _integers;
    private readonly string _locale;

    public SnapshotMaskerFactory(byte[] key, string locale)
    {
        if (key.Length < SnapshotKey.MinimumBytes)
        {
            throw new ArgumentException($"the snapshot key has {key.Length} bytes; it needs {SnapshotKey.MinimumBytes} or more", nameof(key));
        }

        _hash = new KeyedHash(key);
        _integers = new IntegerPermutation(_hash);
        _locale = locale;
    }

    /// <summary>The factory of an environment: its key read from where <c>snapshot.key</c> points.</summary>
    public static SnapshotMaskerFactory For(string environment, SnapshotSettings settings, Func<string, string?> variables) =>
        new(SnapshotKey.Read(environment, settings.KeyReference, variables), settings.Locale);

    public IValueMasker Create(TableRule table, ColumnRule rule, SnapshotColumn column)
    {
        var type = ColumnType.Parse(column.TypeName);
        var name = $"{table.Schema}.{table.Table}.{column.Name}";
        if (ColumnRuleFit.Problem(column, rule with { RecordedType = null }) is { } problem)
        {
            throw new InvalidOperationException($"{name}: {problem.Reason}; the rules check should have refused it");
        }

        IValueMasker masker = rule.Kind switch
        {
            MaskKind.Null => new FunctionMasker(_ => null),
            MaskKind.Set => Set(rule, type),
            MaskKind.Hash => new FunctionMasker(value => Hash(value, type)),
            MaskKind.Fake when rule.Argument == FakeKinds.DateShift => new FunctionMasker(value => Shift(value, rule.ShiftDays ?? FakeKinds.DefaultShiftDays)),
            MaskKind.Fake => new FunctionMasker(value => Fake(value, rule.Argument!, type, column.Unique)),
            _ => throw new ArgumentException($"{name}: {rule.Kind} is carried out by the snapshot pipeline, not by a masker", nameof(rule)),
        };
        // Integers (a permutation), uuids (122 bits), bytea (256 bits) and unique IPv6 fakes (120 bits) cannot collide in
        // practice; text, cut to a length limit, is watched.
        return column.Unique && rule.Kind is MaskKind.Hash or MaskKind.Fake && type.Family == ColumnFamily.Text
            ? new UniqueMasker(masker, new UniqueOutputGuard(name, rule, _hash))
            : masker;
    }

    /// <summary>
    /// A guard for the outputs of a unique column whose values the pipeline produces itself (<c>sql:</c>, <c>shuffle</c>):
    /// <see cref="UniqueOutputGuard.Add"/> each value; a repeat throws <see cref="UniquenessLostException"/> naming the
    /// column and its rule. The maskers this factory makes for unique text columns guard themselves.
    /// </summary>
    public UniqueOutputGuard GuardUniqueness(TableRule table, ColumnRule rule, SnapshotColumn column) =>
        new($"{table.Schema}.{table.Table}.{column.Name}", rule, _hash);

    private static FunctionMasker Set(ColumnRule rule, ColumnType type)
    {
        var constant = ColumnValues.TryParse(rule.Argument ?? "", type, out _);
        return new FunctionMasker(_ => constant, maskNulls: true, nullResult: constant);
    }

    private object Hash(object value, ColumnType type)
    {
        Span<byte> hash = stackalloc byte[KeyedHash.Size];
        _hash.Of(value, hash);
        switch (value)
        {
            case string:
                var text = FakeText.Suffix(hash) + FakeText.Suffix(hash[8..]) + FakeText.Suffix(hash[16..]);
                return type.MaxLength is { } limit && text.Length > limit ? text[..limit] : text;
            case short s:
                return (short)_integers.Apply(s);
            case int i:
                return (int)_integers.Apply(i);
            case long l:
                return _integers.Apply(l);
            case Guid:
                // Version 4, variant 1 (RFC 9562): 122 bits of the hash.
                var bytes = hash[..16].ToArray();
                bytes[6] = (byte)((bytes[6] & 0x0f) | 0x40);
                bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80);
                return new Guid(bytes, bigEndian: true);
            case byte[]:
                return hash.ToArray();
            default:
                throw new InvalidOperationException($"hash does not apply to a value of {value.GetType().Name} ({type.Name})");
        }
    }

    private object Fake(object value, string kind, ColumnType type, bool unique)
    {
        Span<byte> hash = stackalloc byte[KeyedHash.Size];
        _hash.Of(value, hash);
        if (kind == FakeKinds.Ip && value is not string)
        {
            var address = unique ? FakeText.Ipv6(hash) : IPAddress.Parse(FakeText.Create(kind, _locale, hash, unique: false, maxLength: null));
            return value is NpgsqlInet ? new NpgsqlInet(address) : (object)address;
        }

        return FakeText.Create(kind, _locale, hash, unique, type.MaxLength);
    }

    /// <summary>Moves a date or time by a keyed number of days, 1 to <paramref name="days"/> either way; infinity stays.</summary>
    private object Shift(object value, int days)
    {
        Span<byte> hash = stackalloc byte[KeyedHash.Size];
        _hash.Of(value, hash);
        var magnitude = 1 + (int)(BitConverter.ToUInt32(hash[20..]) % (uint)days);
        var by = (hash[24] & 1) == 0 ? magnitude : -magnitude;
        return value switch
        {
            DateOnly d when d != DateOnly.MinValue && d != DateOnly.MaxValue => Safely(() => d.AddDays(by), () => d.AddDays(-by)),
            DateTime t when t != DateTime.MinValue && t != DateTime.MaxValue => Safely(() => t.AddDays(by), () => t.AddDays(-by)),
            DateTimeOffset t when t != DateTimeOffset.MinValue && t != DateTimeOffset.MaxValue => Safely(() => t.AddDays(by), () => t.AddDays(-by)),
            DateOnly or DateTime or DateTimeOffset => value,
            _ => throw new InvalidOperationException($"date_shift does not apply to a value of {value.GetType().Name}"),
        };
    }

    private static object Safely<T>(Func<T> shift, Func<T> otherWay)
        where T : notnull
    {
        try
        {
            return shift();
        }
        catch (ArgumentOutOfRangeException)
        {
            return otherWay();
        }
    }
}
