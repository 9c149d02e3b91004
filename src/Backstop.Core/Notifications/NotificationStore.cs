using System.Globalization;
using Backstop.Core.Team;
using static Backstop.Core.Team.TeamDatabase;

namespace Backstop.Core.Notifications;

/// <summary>
/// Webhook deliveries in the state store (migration 0006), for <c>backstop notify list</c> and the console. A delivery
/// is added before its first try; the pair (event key, webhook) is unique, so that of several server processes that
/// notice the same failed drill, one tells it.
/// </summary>
public sealed class NotificationStore(TeamDatabase database)
{
    private const string Columns = "id, event_key, webhook, event, environment, text, created_at, status, attempts, last_attempt_at, delivered_at, last_error";

    private string T(string table) => database.Prefix + table;

    /// <returns>its id; null if that event was recorded for that webhook already.</returns>
    public Task<long?> AddAsync(Notification notification, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"""
                INSERT INTO {T("notifications")} (event_key, webhook, event, environment, text, created_at, status, attempts)
                VALUES (@key, @webhook, @event, @environment, @text, @at, @status, 0)
                ON CONFLICT (event_key, webhook) DO NOTHING RETURNING id
                """,
                ("key", notification.EventKey), ("webhook", notification.Webhook), ("event", notification.Event), ("environment", notification.Environment),
                ("text", notification.Text), ("at", Millis(notification.CreatedAt)), ("status", NotificationStatuses.Sending));
            return await command.ExecuteScalarAsync(ct) is { } id and not DBNull ? Convert.ToInt64(id, CultureInfo.InvariantCulture) : (long?)null;
        }, cancellationToken);

    /// <summary>Records one try: delivered, failed for good, or failed with more tries to come.</summary>
    public Task RecordAttemptAsync(long id, int attempts, DateTimeOffset at, string status, string? error, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"""
                UPDATE {T("notifications")} SET attempts = @attempts, last_attempt_at = @at, status = @status, last_error = @error,
                    delivered_at = CASE WHEN @status = '{NotificationStatuses.Delivered}' THEN @at ELSE delivered_at END
                WHERE id = @id
                """,
                ("attempts", (long)attempts), ("at", Millis(at)), ("status", status), ("error", error), ("id", id));
            await command.ExecuteNonQueryAsync(ct);
            return 0;
        }, cancellationToken);

    /// <summary>Newest first; <paramref name="status"/> null for all.</summary>
    public Task<IReadOnlyList<Notification>> ListAsync(string? status, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<Notification>>(async (c, ct) =>
        {
            var clause = status is null ? "" : "WHERE status = @status";
            await using var command = Command(c, $"SELECT {Columns} FROM {T("notifications")} {clause} ORDER BY id DESC LIMIT @limit", ("status", status), ("limit", (long)limit));
            await using var reader = await command.ExecuteReaderAsync(ct);
            var list = new List<Notification>();
            while (await reader.ReadAsync(ct))
            {
                list.Add(new Notification
                {
                    Id = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture),
                    EventKey = reader.GetString(1),
                    Webhook = reader.GetString(2),
                    Event = reader.GetString(3),
                    Environment = reader.GetValue(4) as string,
                    Text = reader.GetString(5),
                    CreatedAt = At(reader.GetValue(6)),
                    Status = reader.GetString(7),
                    Attempts = Convert.ToInt32(reader.GetValue(8), CultureInfo.InvariantCulture),
                    LastAttemptAt = AtOrNull(reader.GetValue(9)),
                    DeliveredAt = AtOrNull(reader.GetValue(10)),
                    LastError = reader.GetValue(11) as string,
                });
            }

            return list;
        }, cancellationToken);
}
