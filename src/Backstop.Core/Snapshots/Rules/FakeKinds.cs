namespace Backstop.Core.Snapshots.Rules;

/// <summary>The kinds of <c>fake:</c> and the column types each can be written into.</summary>
public static class FakeKinds
{
    public const string Name = "name";
    public const string FirstName = "first_name";
    public const string LastName = "last_name";
    public const string Email = "email";
    public const string Phone = "phone";
    public const string Address = "address";
    public const string City = "city";
    public const string Company = "company";
    public const string Iban = "iban";
    public const string Ip = "ip";
    public const string Url = "url";
    public const string Text = "text";
    public const string DateShift = "date_shift";

    /// <summary>How far <c>date_shift</c> moves a value when the rule gives no <c>days:</c>.</summary>
    public const int DefaultShiftDays = 30;

    public static IReadOnlyList<string> All { get; } =
        [Name, FirstName, LastName, Email, Phone, Address, City, Company, Iban, Ip, Url, Text, DateShift];

    public static bool IsKnown(string kind) => All.Contains(kind, StringComparer.Ordinal);

    /// <summary>Whether a fake of <paramref name="kind"/> can be written into a column of <paramref name="type"/> (format_type).</summary>
    public static bool Fits(string kind, ColumnType type) => kind switch
    {
        DateShift => type.Family is ColumnFamily.Date or ColumnFamily.Timestamp,
        Ip => type.Family is ColumnFamily.Inet or ColumnFamily.Text,
        _ => type.Family is ColumnFamily.Text,
    };

    /// <summary>What a column of <paramref name="type"/> can take instead, for messages.</summary>
    public static string FittingKinds(ColumnType type)
    {
        var kinds = All.Where(k => Fits(k, type)).ToList();
        return kinds.Count == 0 ? "none (use hash, set, null, sql or keep)" : string.Join(", ", kinds);
    }
}
