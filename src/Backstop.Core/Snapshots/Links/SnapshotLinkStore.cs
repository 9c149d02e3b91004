using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Team;
using static Backstop.Core.Team.TeamDatabase;

namespace Backstop.Core.Snapshots.Links;

/// <summary>A link as the state keeps it (never its token).</summary>
public sealed record SnapshotLink(long Id, string Environment, string SnapshotId, string User, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt);

/// <summary>Why a link was not honoured; the audit log records which.</summary>
public enum SnapshotLinkRefusal
{
    /// <summary>No link has this token (mistyped, or made up).</summary>
    Unknown,
    /// <summary>It was used already: a link works once.</summary>
    Used,
    /// <summary>Its time ran out before the download started.</summary>
    Expired,
    /// <summary>It was issued to someone else.</summary>
    OtherUser,
}

/// <summary>
/// Snapshot download links in the state store (migration 0007), shared by every server process of a team. A token is
/// 32 random bytes handed out once; the state keeps its SHA-256, so a copy of the state gives no working link. Using a
/// link is one conditional update (unused, unexpired, its user), so of two concurrent uses exactly one wins.
/// </summary>
public sealed class SnapshotLinkStore(TeamDatabase database)
{
    private const string Columns = "id, environment, snapshot_id, user_name, created_at, expires_at, used_at";

    private string T(string table) => database.Prefix + table;

    /// <returns>the link, and its token: shown to the user once, stored nowhere.</returns>
    public async Task<(SnapshotLink Link, string Token)> IssueAsync(string environment, string snapshotId, string user, DateTimeOffset now, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = await database.WriteAsync(async (c, ct) =>
        {
            await using var insert = Command(c,
                $"INSERT INTO {T("snapshot_links")} (token_sha256, environment, snapshot_id, user_name, created_at, expires_at) VALUES (@hash, @environment, @snapshot, @user, @now, @expires) RETURNING id",
                ("hash", Hash(token)), ("environment", environment), ("snapshot", snapshotId), ("user", user), ("now", Millis(now)), ("expires", Millis(now + ttl)));
            return Convert.ToInt64(await insert.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);
        return (new SnapshotLink(id, environment, snapshotId, user, now, now + ttl, null), token);
    }

    /// <summary>Uses the link of <paramref name="token"/> for <paramref name="user"/>: it works once, before it expires, for its own user.</summary>
    /// <returns>the link when this use is the one; else why not (and the link, when the token names one).</returns>
    public Task<(SnapshotLink? Link, SnapshotLinkRefusal? Refusal)> UseAsync(string token, string user, string? from, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync<(SnapshotLink?, SnapshotLinkRefusal?)>(async (c, ct) =>
        {
            var hash = Hash(token);
            await using (var use = Command(c,
                $"UPDATE {T("snapshot_links")} SET used_at = @now, used_from = @from WHERE token_sha256 = @hash AND used_at IS NULL AND expires_at > @now AND user_name = @user",
                ("now", Millis(now)), ("from", from), ("hash", hash), ("user", user)))
            {
                var won = await use.ExecuteNonQueryAsync(ct) == 1;
                var link = await FindAsync(c, hash, ct);
                if (won)
                {
                    return (link, null);
                }

                SnapshotLinkRefusal refusal = link switch
                {
                    null => SnapshotLinkRefusal.Unknown,
                    { UsedAt: not null } => SnapshotLinkRefusal.Used,
                    _ when link.ExpiresAt <= now => SnapshotLinkRefusal.Expired,
                    _ => SnapshotLinkRefusal.OtherUser,
                };
                return (link, refusal);
            }
        }, cancellationToken);

    /// <summary>Links that expired unused and have not been reported yet; each is reported once (marked in the same transaction).</summary>
    public Task<IReadOnlyList<SnapshotLink>> TakeExpiredUnusedAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync<IReadOnlyList<SnapshotLink>>(async (c, ct) =>
        {
            var expired = new List<SnapshotLink>();
            await using (var find = Command(c, $"SELECT {Columns} FROM {T("snapshot_links")} WHERE expiry_noted = 0 AND used_at IS NULL AND expires_at <= @now ORDER BY id", ("now", Millis(now))))
            await using (var reader = await find.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    expired.Add(Read(reader));
                }
            }

            foreach (var link in expired)
            {
                await using var mark = Command(c, $"UPDATE {T("snapshot_links")} SET expiry_noted = 1 WHERE id = @id AND expiry_noted = 0", ("id", link.Id));
                await mark.ExecuteNonQueryAsync(ct);
            }

            return expired;
        }, cancellationToken);

    /// <summary>The newest links of an environment (or every environment), for the console and `snapshot links`.</summary>
    public Task<IReadOnlyList<SnapshotLink>> ListAsync(string? environment, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<SnapshotLink>>(async (c, ct) =>
        {
            var links = new List<SnapshotLink>();
            await using var find = environment is null
                ? Command(c, $"SELECT {Columns} FROM {T("snapshot_links")} ORDER BY id DESC LIMIT @limit", ("limit", (long)limit))
                : Command(c, $"SELECT {Columns} FROM {T("snapshot_links")} WHERE environment = @environment ORDER BY id DESC LIMIT @limit", ("environment", environment), ("limit", (long)limit));
            await using var reader = await find.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                links.Add(Read(reader));
            }

            return links;
        }, cancellationToken);

    private async Task<SnapshotLink?> FindAsync(System.Data.Common.DbConnection c, string hash, CancellationToken ct)
    {
        await using var find = Command(c, $"SELECT {Columns} FROM {T("snapshot_links")} WHERE token_sha256 = @hash", ("hash", hash));
        await using var reader = await find.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    private static SnapshotLink Read(System.Data.Common.DbDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), At(reader.GetValue(4)), At(reader.GetValue(5)), AtOrNull(reader.GetValue(6)));

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
