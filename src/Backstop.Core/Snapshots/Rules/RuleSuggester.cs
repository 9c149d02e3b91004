namespace Backstop.Core.Snapshots.Rules;

/// <summary>
/// Proposes a rule per column from its name, type and keys: personal-looking columns get a fake, keys and the rest keep.
/// A starting point for a person to review, never applied without them (docs/snapshots.md "Rules").
/// </summary>
public static class RuleSuggester
{
    private static readonly (string Kind, string[] Names, string Why)[] ByName =
    [
        (FakeKinds.Email, ["email", "e_mail", "mail", "email_address"], "the name looks like an email"),
        (FakeKinds.FirstName, ["first_name", "firstname", "given_name", "forename"], "the name looks like a first name"),
        (FakeKinds.LastName, ["last_name", "lastname", "surname", "family_name"], "the name looks like a last name"),
        (FakeKinds.Company, ["company", "company_name", "employer", "organization_name", "organisation_name", "business_name"], "the name looks like a company"),
        (FakeKinds.Name, ["name", "full_name", "fullname", "display_name", "contact_name", "person_name", "username", "user_name", "nickname"], "the name looks like a person's name"),
        (FakeKinds.Phone, ["phone", "phone_number", "mobile", "mobile_phone", "telephone", "tel", "fax", "cell", "cellphone"], "the name looks like a phone number"),
        (FakeKinds.Address, ["address", "street", "street_address", "address_line", "address_line1", "address_line2", "address1", "address2", "postal_address", "billing_address", "shipping_address"], "the name looks like an address"),
        (FakeKinds.City, ["city", "town"], "the name looks like a city"),
        (FakeKinds.Iban, ["iban", "bank_account", "account_number"], "the name looks like a bank account"),
        (FakeKinds.Ip, ["ip", "ip_address", "ipaddress", "remote_ip", "client_ip", "last_ip", "last_sign_in_ip", "current_sign_in_ip"], "the name looks like an IP address"),
        (FakeKinds.Url, ["url", "website", "homepage", "home_page", "avatar_url", "profile_url", "link"], "the name looks like a URL"),
        (FakeKinds.Text, ["body", "notes", "note", "comment", "comments", "description", "message", "content", "bio", "summary", "details", "remarks", "text"], "the name looks like free text"),
    ];

    /// <summary>Secrets and identity numbers: a keyed hash keeps them distinct without any trace of the original.</summary>
    private static readonly string[] HashNames = ["ssn", "social_security_number", "passport", "passport_number", "tax_id", "national_id", "password", "password_hash", "encrypted_password", "token", "api_key", "secret"];

    private static readonly string[] BirthNames = ["birth_date", "birthdate", "date_of_birth", "dob", "birthday", "born_on"];

    /// <summary>Text that names a category rather than a person: kept unless it also looks personal.</summary>
    private static readonly string[] CodeSuffixes = ["status", "state", "type", "kind", "source", "code", "currency", "locale", "language", "country", "slug", "role", "plan", "tier", "format"];

    public static RuleSuggestion Suggest(SnapshotCatalogTable table, SnapshotColumn column)
    {
        var suggestion = ByLook(table, column);
        if (ColumnRuleFit.Problem(column, suggestion.Rule) is not { } problem)
        {
            return suggestion;
        }

        // A fake that cannot stay unique in a short column: a keyed hash can, and still masks.
        var hash = suggestion with { Rule = suggestion.Rule with { Kind = MaskKind.Hash, Argument = null }, Why = $"{suggestion.Why}, but {problem.Reason}: hashed instead" };
        return ColumnRuleFit.Problem(column, hash.Rule) is null
            ? hash
            : suggestion with { Rule = suggestion.Rule with { Kind = MaskKind.Keep, Argument = null }, Why = $"{suggestion.Why}, but {problem.Reason}: kept; choose a rule by hand" };
    }

    private static RuleSuggestion ByLook(SnapshotCatalogTable table, SnapshotColumn column)
    {
        var type = ColumnType.Parse(column.TypeName);
        var name = column.Name.ToLowerInvariant();
        RuleSuggestion With(ColumnRule rule, string why) => new(rule with { RecordedType = column.TypeName }, why);

        if (table.KeyColumns.Contains(column.Name))
        {
            return With(new ColumnRule(column.Name, MaskKind.Keep), "a primary or foreign key: kept so that rows still join");
        }

        if (type.Family == ColumnFamily.Inet)
        {
            return With(new ColumnRule(column.Name, MaskKind.Fake, FakeKinds.Ip), "an IP address");
        }

        if (BirthNames.Contains(name, StringComparer.Ordinal) && type.Family is ColumnFamily.Date or ColumnFamily.Timestamp && !column.Unique)
        {
            return With(new ColumnRule(column.Name, MaskKind.Fake, FakeKinds.DateShift), "the name looks like a date of birth: shifted by up to 30 days");
        }

        if (type.Family != ColumnFamily.Text)
        {
            return HashNames.Contains(name, StringComparer.Ordinal) && type.Family is ColumnFamily.Integer or ColumnFamily.Bigint or ColumnFamily.Bytea or ColumnFamily.Uuid
                ? With(new ColumnRule(column.Name, MaskKind.Hash), "the name looks like a secret or an identity number")
                : With(new ColumnRule(column.Name, MaskKind.Keep), "no personal look");
        }

        if (HashNames.Contains(name, StringComparer.Ordinal))
        {
            return With(new ColumnRule(column.Name, MaskKind.Hash), "the name looks like a secret or an identity number");
        }

        var kind = ByName.FirstOrDefault(k => k.Names.Contains(name, StringComparer.Ordinal) || k.Names.Any(n => n.Length > 3 && (name.EndsWith("_" + n, StringComparison.Ordinal) || name.StartsWith(n + "_", StringComparison.Ordinal))));
        if (kind.Kind is FakeKinds.Name && IsOrganization(table.Table) && name == "name")
        {
            return With(new ColumnRule(column.Name, MaskKind.Fake, FakeKinds.Company), "the name of an organization");
        }

        if (kind.Kind is not null)
        {
            return With(new ColumnRule(column.Name, MaskKind.Fake, kind.Kind), kind.Why);
        }

        if (type.Name == "text" && !CodeSuffixes.Any(s => name == s || name.EndsWith("_" + s, StringComparison.Ordinal)))
        {
            return With(new ColumnRule(column.Name, MaskKind.Fake, FakeKinds.Text), "unbounded text that may hold anything a person typed");
        }

        return With(new ColumnRule(column.Name, MaskKind.Keep), "no personal look");
    }

    private static bool IsOrganization(string table) =>
        new[] { "organization", "organisation", "compan", "account", "tenant", "vendor", "supplier", "business", "customer_org" }
            .Any(t => table.Contains(t, StringComparison.OrdinalIgnoreCase));
}
