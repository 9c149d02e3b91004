using System.Text.RegularExpressions;

namespace Backstop.Core.Configuration;

public static partial class EnvironmentNames
{
    public const string Rule = "use letters, digits, '-' or '_', starting with a letter";

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,62}$")]
    private static partial Regex Pattern();
}
