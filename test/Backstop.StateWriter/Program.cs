using System.Globalization;
using Backstop.Core.Policies;
using Backstop.Core.State;
using Backstop.Postgres.Connections;

// For the tests that several processes share one state store: records COUNT changes into the store at URL, each added
// as running and then settled as committed, as `backstop run` does, and prints the id each one got, a line each.
// With `audit` first: appends COUNT audit entries instead, and prints the number each one got.
if (args is ["audit", var auditUrl, var auditCountText, var actor] && int.TryParse(auditCountText, NumberStyles.None, CultureInfo.InvariantCulture, out var auditCount))
{
    var log = await Backstop.Core.Audit.AuditLogs.OpenAsync(StateLocation.Postgres(PgUrl.Parse(auditUrl)), null, CancellationToken.None);
    for (var i = 0; i < auditCount; i++)
    {
        var entry = await log.AppendAsync(new Backstop.Core.Audit.AuditRecord { Actor = actor, Action = "execute", Object = $"change {i}", Outcome = "ok" }, CancellationToken.None);
        Console.WriteLine(entry.Seq.ToString(CultureInfo.InvariantCulture));
    }

    return 0;
}

if (args is not [var url, var countText, var label] || !int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
{
    await Console.Error.WriteLineAsync("usage: Backstop.StateWriter postgresql://… COUNT LABEL");
    return 2;
}

var store = await StateStores.OpenAsync(StateLocation.Postgres(PgUrl.Parse(url)), null, CancellationToken.None);
for (var i = 0; i < count; i++)
{
    var script = $"DELETE FROM orders WHERE id = {i} -- {label}";
    var change = new ChangeRecord
    {
        ChangeUuid = Guid.CreateVersion7(),
        Environment = label,
        SystemIdentifier = "7301234567890123456",
        Database = "shop",
        Host = "db.example.com",
        Port = 5432,
        Script = script,
        ScriptSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(script))),
        Verdict = Verdict.Confirm,
        Reasons = ["a write"],
        Impact = [],
        OsUser = label,
        StartedAt = DateTimeOffset.UtcNow,
        Outcome = ChangeOutcome.Running,
    };
    var id = await store.AddAsync(change, CancellationToken.None);
    await store.UpdateAsync(change with { Id = id, Outcome = ChangeOutcome.Committed, Duration = TimeSpan.FromMilliseconds(1) }, CancellationToken.None);
    Console.WriteLine(id.ToString(CultureInfo.InvariantCulture));
}

return 0;
