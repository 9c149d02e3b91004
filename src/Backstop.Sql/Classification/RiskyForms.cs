namespace Backstop.Sql.Classification;

/// <summary>
/// Forms that are dangerous for what they lock or grant rather than for the rows they change: table locks that stop
/// writes (or reads) while the statement works, and privileges that widen who can do what.
/// </summary>
internal static class RiskyForms
{
    private const string AllWait = "every read and write of it waits until it finishes";
    private const string WritesWait = "every write waits until it finishes";

    public static LockingForm? Locking(in TokenCursor c, StatementInfo info)
    {
        if (info.Targets.Count == 0)
        {
            return null;
        }

        if (c.IsWord(0, "CREATE") && info.ObjectType == "INDEX" && !Has(c, "CONCURRENTLY"))
        {
            return new("CREATE INDEX without CONCURRENTLY", "SHARE", WritesWait);
        }

        if (info.Kind == StatementKind.Vacuum && (c.IsWord(1, "FULL") || (c.Is(1, Lexing.TokenKind.LeftParenthesis) && Has(c, "FULL"))))
        {
            return new("VACUUM FULL", "ACCESS EXCLUSIVE", AllWait);
        }

        if (c.IsWord(0, "CLUSTER"))
        {
            return new("CLUSTER", "ACCESS EXCLUSIVE", AllWait);
        }

        if (c.IsWord(0, "LOCK"))
        {
            var mode = c.FindTopLevelWord(1, "IN") is var i and >= 0 ? Words(c, i + 1, "MODE") : "ACCESS EXCLUSIVE";
            return new("LOCK TABLE", mode, mode is "ACCESS SHARE" or "ROW SHARE" ? "nothing much waits" : mode == "ACCESS EXCLUSIVE" ? AllWait : WritesWait);
        }

        if (c.IsWord(0, "REINDEX") && !Has(c, "CONCURRENTLY"))
        {
            return new("REINDEX without CONCURRENTLY", "SHARE", WritesWait);
        }

        if (c.IsWord(0, "REFRESH") && !Has(c, "CONCURRENTLY"))
        {
            return new("REFRESH MATERIALIZED VIEW without CONCURRENTLY", "ACCESS EXCLUSIVE", AllWait);
        }

        if (c.IsWord(0, "ALTER") && info.ObjectType == "TABLE")
        {
            if (Has(c, "TYPE") || Has(c, "TABLESPACE") || Has(c, "LOGGED") || Has(c, "UNLOGGED"))
            {
                return new("ALTER TABLE that rewrites the table", "ACCESS EXCLUSIVE", AllWait);
            }

            if (Has(c, "NOT") && Has(c, "NULL") && Has(c, "SET"))
            {
                return new("ALTER TABLE … SET NOT NULL (it scans every row)", "ACCESS EXCLUSIVE", AllWait);
            }

            if (Has(c, "ADD") && (Has(c, "CONSTRAINT") || Has(c, "PRIMARY") || Has(c, "UNIQUE") || Has(c, "CHECK") || Has(c, "FOREIGN") || Has(c, "EXCLUDE"))
                && !(Has(c, "NOT") && Has(c, "VALID")))
            {
                return new("ALTER TABLE … ADD CONSTRAINT without NOT VALID (it checks every row)", "ACCESS EXCLUSIVE", AllWait);
            }
        }

        return null;
    }

    /// <summary>What the statement grants that widens who can do what; null when nothing of the kind.</summary>
    public static string? Privilege(in TokenCursor c)
    {
        if (c.IsWord(0, "ALTER") && c.IsWord(1, "SYSTEM"))
        {
            return "ALTER SYSTEM changes the server's configuration for every database and session";
        }

        if ((c.IsWord(0, "GRANT") || (c.IsWord(0, "ALTER") && c.IsWord(1, "DEFAULT"))) && c.FindTopLevelWord(0, "TO") is var to and >= 0 && c.FindTopLevelWord(to, "PUBLIC") >= 0)
        {
            return "GRANT … TO PUBLIC gives every role, present and future, the privilege";
        }

        if ((c.IsWord(0, "ALTER") || c.IsWord(0, "CREATE")) && (c.IsWord(1, "ROLE") || c.IsWord(1, "USER")))
        {
            foreach (var power in (string[])["SUPERUSER", "BYPASSRLS", "REPLICATION", "CREATEROLE"])
            {
                if (c.FindTopLevelWord(2, power) >= 0)
                {
                    return $"{power} gives the role power over every table, row-level security or role";
                }
            }
        }

        return null;
    }

    private static bool Has(in TokenCursor c, string word) => c.FindTopLevelWord(0, word) >= 0 || FindAnywhere(c, word);

    private static bool FindAnywhere(in TokenCursor c, string word)
    {
        for (var i = 0; i < c.End; i++)
        {
            if (c.IsWord(i, word))
            {
                return true;
            }
        }

        return false;
    }

    private static string Words(in TokenCursor c, int from, string until)
    {
        var words = new List<string>();
        for (var i = from; i < c.End && !c.IsWord(i, until); i++)
        {
            words.Add(c.Text(i).ToString().ToUpperInvariant());
        }

        return string.Join(' ', words);
    }
}
