using System.Text;
using Bogus;
using Backstop.Core.Snapshots.Rules;

namespace Backstop.Core.Snapshots.Masking;

/// <summary>
/// The text fakes: a Bogus value seeded by the keyed hash of the original, so the same original always gives the same
/// fake; for a unique column, a suffix of the hash (60 bits) is embedded so that distinct originals stay distinct.
/// Every value is cut to the column's length limit, the suffix kept whole.
/// </summary>
internal static class FakeText
{
    /// <summary>Characters of the hash a unique fake embeds: 12 base32 characters, 60 bits.</summary>
    public const int SuffixLength = 12;

    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";

    private static readonly string[] Domains = ["example.com", "example.net", "example.org"];

    [ThreadStatic]
    private static Dictionary<string, Faker>? t_fakers;

    /// <summary>The shortest length limit a unique column may have for <paramref name="kind"/>.</summary>
    public static int MinimumUniqueLength(string kind) => kind switch
    {
        FakeKinds.Email => 1 + 1 + SuffixLength + 1 + 11,
        FakeKinds.Url => "https://example.com/".Length + 1 + SuffixLength,
        _ => 1 + 1 + SuffixLength,
    };

    public static string Create(string kind, string locale, ReadOnlySpan<byte> hash, bool unique, int? maxLength)
    {
        var faker = FakerFor(locale);
        faker.Random = new Randomizer(BitConverter.ToInt32(hash));
        var suffix = unique ? Suffix(hash[8..]) : null;
        var value = kind switch
        {
            FakeKinds.Email => Email(faker, hash, suffix, maxLength),
            FakeKinds.Url => Url(faker, suffix, maxLength),
            FakeKinds.Ip => unique ? Ipv6(hash).ToString() : faker.Internet.Ip(),
            _ => Join(Plain(faker, kind), " ", suffix, maxLength),
        };
        return Fit(value, maxLength);
    }

    /// <summary>A unique IPv6 address in the unique-local range fd00::/8, with 120 bits of the hash.</summary>
    public static System.Net.IPAddress Ipv6(ReadOnlySpan<byte> hash)
    {
        Span<byte> bytes = stackalloc byte[16];
        hash[..16].CopyTo(bytes);
        bytes[0] = 0xfd;
        return new System.Net.IPAddress(bytes);
    }

    public static string Suffix(ReadOnlySpan<byte> bytes)
    {
        var bits = BitConverter.ToUInt64(bytes);
        var builder = new StringBuilder(SuffixLength);
        for (var i = 0; i < SuffixLength; i++)
        {
            builder.Append(Base32[(int)(bits & 31)]);
            bits >>= 5;
        }

        return builder.ToString();
    }

    private static string Plain(Faker faker, string kind) => kind switch
    {
        FakeKinds.Name => faker.Name.FullName(),
        FakeKinds.FirstName => faker.Name.FirstName(),
        FakeKinds.LastName => faker.Name.LastName(),
        FakeKinds.Phone => faker.Phone.PhoneNumber(),
        FakeKinds.Address => faker.Address.StreetAddress(),
        FakeKinds.City => faker.Address.City(),
        FakeKinds.Company => faker.Company.CompanyName(),
        FakeKinds.Iban => faker.Finance.Iban(),
        _ => faker.Lorem.Sentence(),
    };

    private static string Email(Faker faker, ReadOnlySpan<byte> hash, string? suffix, int? maxLength)
    {
        var domain = "@" + Domains[hash[4] % Domains.Length];
        var local = LocalPart(faker.Name.FirstName(), faker) + "." + LocalPart(faker.Name.LastName(), faker);
        var room = maxLength is { } limit ? limit - domain.Length : (int?)null;
        return Join(local, ".", suffix, room) + domain;
    }

    private static string Url(Faker faker, string? suffix, int? maxLength)
    {
        const string root = "https://example.com/";
        var slug = string.Join('-', faker.Lorem.Words(2)).ToLowerInvariant();
        return root + Join(slug, "-", suffix, maxLength is { } limit ? limit - root.Length : null);
    }

    /// <summary>The fake, then the unique suffix, cutting the fake (never the suffix) to fit <paramref name="room"/>.</summary>
    private static string Join(string fake, string separator, string? suffix, int? room)
    {
        if (suffix is null)
        {
            return room is { } r && fake.Length > r ? fake[..Math.Max(r, 0)] : fake;
        }

        var tail = separator + suffix;
        if (room is { } limit && fake.Length + tail.Length > limit)
        {
            fake = fake[..Math.Max(limit - tail.Length, 0)];
        }

        return fake + tail;
    }

    /// <summary>The ASCII letters and digits of a name; a name in another script gives <c>user</c> and a number.</summary>
    private static string LocalPart(string name, Faker faker)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.Length > 0 ? builder.ToString() : "user" + faker.Random.Number(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Fit(string value, int? maxLength) =>
        maxLength is { } limit && value.Length > limit ? value[..limit] : value;

    private static Faker FakerFor(string locale)
    {
        t_fakers ??= new Dictionary<string, Faker>(StringComparer.Ordinal);
        if (!t_fakers.TryGetValue(locale, out var faker))
        {
            faker = new Faker(locale);
            t_fakers[locale] = faker;
        }

        return faker;
    }
}
