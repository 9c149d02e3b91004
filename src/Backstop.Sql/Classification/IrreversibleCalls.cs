using System.Text.RegularExpressions;
using Backstop.Sql.Lexing;

namespace Backstop.Sql.Classification;

/// <summary>
/// Calls of built-in functions whose effects no rollback takes back (docs: "System Administration Functions",
/// "Sequence Manipulation Functions", "Large Objects", "dblink"): a preview must never run a statement that calls one.
/// Found in the statement's own text and in the body of a DO block (EXECUTE strings included); a user function that
/// calls one indirectly is not seen here, which docs/policies.md says.
/// </summary>
public static partial class IrreversibleCalls
{
    private static readonly Dictionary<string, string> Functions = Build();

    /// <summary>What the first irreversible call does, e.g. "calls pg_terminate_backend(), which terminates a server process"; null when none.</summary>
    public static string? Find(IReadOnlyList<Token> tokens, string source, bool isDoBlock)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (i + 1 < tokens.Count && tokens[i].Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier && tokens[i + 1].Kind == TokenKind.LeftParenthesis
                && !IsQualifiedByOtherSchema(tokens, source, i)
                && Describe(Name(tokens[i], source)) is { } found)
            {
                return found;
            }

            if (isDoBlock && tokens[i].Kind is TokenKind.DollarString or TokenKind.String && FindInBody(source.AsSpan(tokens[i].Start, tokens[i].Length)) is { } inBody)
            {
                return inBody + " (inside the DO block)";
            }
        }

        return null;
    }

    /// <summary>The names this class knows, for documentation and tests.</summary>
    public static IReadOnlyCollection<string> Names => Functions.Keys;

    private static string? Describe(string name) =>
        Functions.TryGetValue(name, out var what) ? $"calls {name}(), which {what}" :
        name.StartsWith("dblink", StringComparison.Ordinal) && name != "dblink_get_connections" ? $"calls {name}(), which reaches another server" :
        null;

    private static string? FindInBody(ReadOnlySpan<char> body)
    {
        foreach (var match in CallInText().EnumerateMatches(body))
        {
            var name = body.Slice(match.Index, match.Length).TrimEnd("( \t\r\n").ToString().ToLowerInvariant();
            if (Describe(name) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>A schema other than pg_catalog (or public, where dblink and adminpack live) names a user's own function.</summary>
    private static bool IsQualifiedByOtherSchema(IReadOnlyList<Token> tokens, string source, int index)
    {
        if (index < 2 || tokens[index - 1].Kind != TokenKind.Dot)
        {
            return false;
        }

        var schema = Name(tokens[index - 2], source);
        return schema is not ("pg_catalog" or "public");
    }

    private static string Name(Token token, string source)
    {
        var text = source.AsSpan(token.Start, token.Length);
        return token.Kind == TokenKind.QuotedIdentifier && text.Length >= 2 && text[0] == '"'
            ? text[1..^1].ToString().Replace("\"\"", "\"", StringComparison.Ordinal)
            : text.ToString().ToLowerInvariant();
    }

    [GeneratedRegex(@"(?<![\w$])[A-Za-z_][A-Za-z0-9_]*\s*\(", RegexOptions.CultureInvariant)]
    private static partial Regex CallInText();

    private static Dictionary<string, string> Build()
    {
        var functions = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string what, params string[] names)
        {
            foreach (var name in names)
            {
                functions[name] = what;
            }
        }

        Add("terminates a server process", "pg_terminate_backend");
        Add("cancels another session's query", "pg_cancel_backend");
        Add("makes the server reload its configuration", "pg_reload_conf");
        Add("makes the server switch to a new log file", "pg_rotate_logfile", "pg_rotate_logfile_old");
        Add("signals a server process", "pg_log_backend_memory_contexts");
        Add("sets a sequence, which no rollback sets back", "setval");
        // Large objects live in pg_largeobject and are transactional: a preview runs lo_unlink and the like, sees what they
        // removed, and the run keeps it (docs/architecture.md). Only writing a server file is beyond a rollback.
        Add("writes a file on the database server", "lo_export", "pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_file_sync");
        Add("switches the server to a new WAL file", "pg_switch_wal", "pg_switch_xlog");
        Add("writes a restore point into the WAL", "pg_create_restore_point");
        Add("starts or stops a base backup", "pg_backup_start", "pg_backup_stop", "pg_start_backup", "pg_stop_backup");
        Add("promotes or pauses a standby", "pg_promote", "pg_wal_replay_pause", "pg_wal_replay_resume");
        Add("drops a replication slot", "pg_drop_replication_slot");
        Add("creates or moves a replication slot", "pg_create_physical_replication_slot", "pg_create_logical_replication_slot", "pg_replication_slot_advance",
            "pg_copy_physical_replication_slot", "pg_copy_logical_replication_slot");
        Add("takes or releases a session-level advisory lock that outlives the transaction",
            "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared", "pg_advisory_unlock", "pg_advisory_unlock_shared", "pg_advisory_unlock_all");
        Add("resets statistics", "pg_stat_reset", "pg_stat_reset_shared", "pg_stat_reset_single_table_counters", "pg_stat_reset_single_function_counters",
            "pg_stat_reset_slru", "pg_stat_reset_replication_slot", "pg_stat_reset_subscription_stats", "pg_stat_statements_reset");
        return functions;
    }
}
