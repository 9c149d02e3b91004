using System.Globalization;
using Backstop.Core.Review;
using YamlDotNet.RepresentationModel;

namespace Backstop.Core.Configuration;

/// <summary>
/// Reads an environment's <c>review:</c> section:
/// <c>roles: [app, …]</c> (the application's roles, reviewed besides the connecting one) and
/// <c>suppress: [{rule, object, owner, reason, expires: YYYY-MM-DD}]</c>. A suppression without an owner, a reason or an
/// expiry is refused: an accepted risk must have someone who answers for it and a date it is looked at again.
/// </summary>
internal static class ReviewSettingsReader
{
    private static readonly string[] ReviewKeys = ["suppress", "roles"];
    private static readonly string[] SuppressionKeys = ["rule", "object", "owner", "reason", "expires"];

    public static ReviewSettings Read(YamlReader read, YamlNode node, string environment)
    {
        var suppressions = new List<ReviewSuppression>();
        var roles = new List<string>();
        foreach (var (key, value) in read.Entries(read.Mapping(node, "review"), $"environment '{environment}' review", ReviewKeys))
        {
            if (key == "roles")
            {
                var names = value as YamlSequenceNode ?? throw read.Error(value, $"review.roles of environment '{environment}' must be a list of role names, e.g. [app, reporting]");
                foreach (var name in names.Children)
                {
                    var role = read.Scalar(name, "a role").Trim();
                    if (role.Length == 0)
                    {
                        throw read.Error(name, $"review.roles of environment '{environment}' has an empty role name");
                    }

                    roles.Add(role);
                }

                continue;
            }

            var items = value as YamlSequenceNode ?? throw read.Error(value, $"review.suppress of environment '{environment}' must be a list of suppressions (- rule: …)");
            foreach (var item in items.Children)
            {
                suppressions.Add(ReadSuppression(read, item, environment));
            }
        }

        return new ReviewSettings { Suppressions = suppressions, Roles = roles };
    }

    private static ReviewSuppression ReadSuppression(YamlReader read, YamlNode node, string environment)
    {
        var values = read.Entries(read.Mapping(node, "a suppression"), "a suppression", SuppressionKeys)
            .ToDictionary(e => e.Key, e => (Node: e.Value, Text: read.Scalar(e.Value, e.Key).Trim()), StringComparer.Ordinal);
        foreach (var key in SuppressionKeys)
        {
            if (!values.TryGetValue(key, out var entry) || entry.Text.Length == 0)
            {
                throw read.Error(node,
                    $"a suppression in review.suppress of environment '{environment}' has no '{key}'; each needs rule, object, owner, reason and expires " +
                    "(e.g. expires: 2027-01-31), so that an accepted risk has someone who answers for it and a date it counts again");
            }
        }

        var rule = values["rule"].Text;
        if (ReviewRules.Find(rule) is null)
        {
            throw read.Error(values["rule"].Node, $"review.suppress names the rule '{rule}', which does not exist; rules: {string.Join(", ", ReviewRules.All.Select(r => r.Id))}");
        }

        var expires = values["expires"];
        if (!DateOnly.TryParseExact(expires.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw read.Error(expires.Node, $"'expires' is '{expires.Text}'; expected a date like 2027-01-31");
        }

        return new ReviewSuppression { Rule = rule, Object = values["object"].Text, Owner = values["owner"].Text, Reason = values["reason"].Text, Expires = date };
    }
}
