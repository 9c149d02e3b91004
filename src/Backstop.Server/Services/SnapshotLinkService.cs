using System.Formats.Tar;
using System.Globalization;
using Backstop.Core.Snapshots.Links;
using Backstop.Core.Team;

namespace Backstop.Server.Services;

/// <summary>What an issued link is, for the one who asked: the URL (with its token, shown once) and when it stops working.</summary>
public sealed record SnapshotLinkView(long Id, string Environment, string Snapshot, string Url, DateTimeOffset ExpiresAt);

/// <summary>
/// Hands out snapshots through links that work once, for one user, and only until they expire (docs/snapshots.md
/// "Links"): issuing, using and expiring unused each go into the audit log. The expiry gates the start of a download;
/// a download that started in time runs to its end.
/// </summary>
public sealed class SnapshotLinkService(ServerContext server, SnapshotLinkStore links, ISnapshotFinder finder)
{
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(3);

    public static readonly TimeSpan MaxTtl = TimeSpan.FromHours(24);

    /// <param name="baseUrl">server.public_url, or the scheme and host the request came to.</param>
    public async Task<SnapshotLinkView> IssueAsync(SignedInUser user, string environment, string snapshotId, TimeSpan? ttl, string baseUrl, CancellationToken cancellationToken)
    {
        var config = server.Environment(environment);
        var lifetime = ttl ?? DefaultTtl;
        if (lifetime < TimeSpan.FromSeconds(10) || lifetime > MaxTtl)
        {
            throw ProblemException.BadRequest($"a link's ttl must be between 10s and 24h (it was {lifetime}); the default is 3m");
        }

        await NoteExpiredAsync(cancellationToken);
        var snapshot = finder.Find(config, snapshotId)
            ?? throw ProblemException.NotFound($"the {environment} environment has no snapshot '{snapshotId}'; `backstop snapshot list -e {environment}` lists them");
        if (!snapshot.Usable)
        {
            throw ProblemException.Refused($"snapshot {snapshotId} of {environment} did not pass its drill and leak scan, so it is not handed out; `backstop snapshot list -e {environment}` says why");
        }

        var (link, token) = await links.IssueAsync(environment, snapshotId, user.Name, server.Clock.GetUtcNow(), lifetime, cancellationToken);
        await server.Audit.RecordAsync(new AuditEvent(user.Name, user.From, "snapshot.link.issued", environment, $"snapshot {snapshotId}", "ok",
            new Dictionary<string, string> { ["link"] = link.Id.ToString(CultureInfo.InvariantCulture), ["expires"] = link.ExpiresAt.ToString("O", CultureInfo.InvariantCulture) }), cancellationToken);
        return new SnapshotLinkView(link.Id, environment, snapshotId, $"{baseUrl.TrimEnd('/')}/api/v1/snapshot-links/{token}", link.ExpiresAt);
    }

    /// <summary>Uses the link for <paramref name="user"/>, or refuses it (and says so in the audit log).</summary>
    public async Task<SnapshotFiles> UseAsync(SignedInUser user, string token, CancellationToken cancellationToken)
    {
        var (link, refusal) = await links.UseAsync(token, user.Name, user.From, server.Clock.GetUtcNow(), cancellationToken);
        await NoteExpiredAsync(cancellationToken);
        if (refusal is { } why)
        {
            var detail = new Dictionary<string, string> { ["reason"] = why.ToString().ToLowerInvariant() };
            if (link is not null)
            {
                detail["link"] = link.Id.ToString(CultureInfo.InvariantCulture);
            }

            await server.Audit.RecordAsync(new AuditEvent(user.Name, user.From, "snapshot.link.used", link?.Environment, link is null ? null : $"snapshot {link.SnapshotId}", "refused", detail), cancellationToken);
            throw why switch
            {
                SnapshotLinkRefusal.Used => ProblemException.Gone("this snapshot link was used already; a link works once: ask for a new one with `backstop snapshot link`"),
                SnapshotLinkRefusal.Expired => ProblemException.Gone($"this snapshot link expired at {link!.ExpiresAt:u}; ask for a new one with `backstop snapshot link`"),
                SnapshotLinkRefusal.OtherUser => ProblemException.Refused("this snapshot link was issued to someone else; ask for your own with `backstop snapshot link`"),
                _ => ProblemException.NotFound("there is no such snapshot link; ask for one with `backstop snapshot link`"),
            };
        }

        var snapshot = finder.Find(server.Environment(link!.Environment), link.SnapshotId);
        var used = new Dictionary<string, string> { ["link"] = link.Id.ToString(CultureInfo.InvariantCulture) };
        if (snapshot is null || !snapshot.Usable)
        {
            await server.Audit.RecordAsync(new AuditEvent(user.Name, user.From, "snapshot.link.used", link.Environment, $"snapshot {link.SnapshotId}", "failed", used), cancellationToken);
            throw ProblemException.Gone($"snapshot {link.SnapshotId} of {link.Environment} is no longer there (purged after the link was issued)");
        }

        await server.Audit.RecordAsync(new AuditEvent(user.Name, user.From, "snapshot.link.used", link.Environment, $"snapshot {link.SnapshotId}", "ok", used), cancellationToken);
        return snapshot;
    }

    /// <summary>Writes the snapshot's files as one tar stream (pg_restore reads the directory it unpacks to).</summary>
    public static async Task WriteTarAsync(SnapshotFiles snapshot, Stream output, CancellationToken cancellationToken)
    {
        await using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        var root = $"snapshot-{snapshot.Environment}-{snapshot.Id}";
        foreach (var file in Directory.EnumerateFiles(snapshot.Directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = root + "/" + Path.GetRelativePath(snapshot.Directory, file).Replace(Path.DirectorySeparatorChar, '/');
            await tar.WriteEntryAsync(file, name, cancellationToken);
        }
    }

    /// <summary>Says in the audit log, once each, which links expired without being used.</summary>
    public async Task<int> NoteExpiredAsync(CancellationToken cancellationToken)
    {
        var expired = await links.TakeExpiredUnusedAsync(server.Clock.GetUtcNow(), cancellationToken);
        foreach (var link in expired)
        {
            await server.Audit.RecordAsync(new AuditEvent(link.User, null, "snapshot.link.expired", link.Environment, $"snapshot {link.SnapshotId}", "ok",
                new Dictionary<string, string> { ["link"] = link.Id.ToString(CultureInfo.InvariantCulture), ["expired"] = link.ExpiresAt.ToString("O", CultureInfo.InvariantCulture) }), cancellationToken);
        }

        return expired.Count;
    }

    /// <summary>For the console: an environment's snapshots, newest first.</summary>
    public IReadOnlyList<SnapshotFiles> Snapshots(string environment) => finder.List(server.Environment(environment));

    public Task<IReadOnlyList<SnapshotLink>> LinksAsync(string? environment, int limit, CancellationToken cancellationToken) => links.ListAsync(environment, limit, cancellationToken);
}
