using System.Text.RegularExpressions;
using Backstop.Core.Team;

namespace Backstop.Server.Services;

/// <summary>People of the team: added, listed, disabled, and given a new password by an admin (or by <c>backstop server init</c> and <c>backstop user</c> on the server's host).</summary>
public sealed partial class UserService(TeamStore team, IAuditTrail audit, TimeProvider clock)
{
    public const string NameRule = "a user name is 1 to 63 characters: letters, digits, and . _ @ - (starting with a letter or digit)";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public async Task<TeamUser> AddAsync(string actor, string? from, string name, TeamRole role, string password, CancellationToken cancellationToken)
    {
        if (!IsValidName(name))
        {
            throw ProblemException.BadRequest($"'{name}' is not a valid user name; {NameRule}");
        }

        if (PasswordHashing.Weakness(password) is { } weakness)
        {
            throw ProblemException.BadRequest($"the password for {name} is too weak: {weakness}");
        }

        var user = new TeamUser
        {
            Name = name,
            Role = role,
            PasswordHash = PasswordHashing.Hash(password),
            ScramVerifier = ScramVerifier.Create(password, TeamUser.ScramIterations).ToString(),
            CreatedAt = clock.GetUtcNow(),
        };
        if (!await team.AddUserAsync(user, cancellationToken))
        {
            throw new ProblemException(409, 2, $"user {name} exists already; `backstop user list` shows everyone, `backstop user reset-password {name}` gives a new password");
        }

        await audit.RecordAsync(new AuditEvent(actor, from, "user.add", null, $"user {name}", "ok", new Dictionary<string, string> { ["role"] = role.ToString().ToLowerInvariant() }), cancellationToken);
        return user;
    }

    public Task<IReadOnlyList<TeamUser>> ListAsync(CancellationToken cancellationToken) => team.ListUsersAsync(cancellationToken);

    public async Task DisableAsync(string actor, string? from, string name, CancellationToken cancellationToken)
    {
        if (string.Equals(actor, name, StringComparison.Ordinal))
        {
            throw ProblemException.Refused($"you cannot disable yourself ({name}); ask another admin");
        }

        if (!await team.SetDisabledAsync(name, disabled: true, clock.GetUtcNow(), cancellationToken))
        {
            throw ProblemException.NotFound($"there is no user {name}; `backstop user list` shows everyone");
        }

        await audit.RecordAsync(new AuditEvent(actor, from, "user.disable", null, $"user {name}", "ok"), cancellationToken);
        await audit.RecordAsync(new AuditEvent(actor, from, "token.revoked", null, $"user {name}", "ok", new Dictionary<string, string> { ["why"] = "user disabled" }), cancellationToken);
    }

    /// <summary>Revokes every token the person holds (signed out everywhere: API, CLI, console and proxy); the password stays.</summary>
    public async Task<int> RevokeTokensAsync(string actor, string? from, string name, CancellationToken cancellationToken)
    {
        if (await team.GetUserAsync(name, cancellationToken) is null)
        {
            throw ProblemException.NotFound($"there is no user {name}; `backstop user list` shows everyone");
        }

        var revoked = await team.RevokeAllTokensAsync(name, clock.GetUtcNow(), cancellationToken);
        await audit.RecordAsync(new AuditEvent(actor, from, "token.revoked", null, $"user {name}", "ok", new Dictionary<string, string>
        {
            ["why"] = "revoked by an admin",
            ["tokens"] = revoked.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }), cancellationToken);
        return revoked;
    }

    /// <summary>A new password; it also unlocks the account and revokes every token the person holds.</summary>
    public async Task ResetPasswordAsync(string actor, string? from, string name, string password, CancellationToken cancellationToken)
    {
        if (PasswordHashing.Weakness(password) is { } weakness)
        {
            throw ProblemException.BadRequest($"the new password for {name} is too weak: {weakness}");
        }

        if (!await team.SetPasswordAsync(name, PasswordHashing.Hash(password), ScramVerifier.Create(password, TeamUser.ScramIterations).ToString(), clock.GetUtcNow(), cancellationToken))
        {
            throw ProblemException.NotFound($"there is no user {name}; `backstop user list` shows everyone");
        }

        await audit.RecordAsync(new AuditEvent(actor, from, "user.reset-password", null, $"user {name}", "ok"), cancellationToken);
        await audit.RecordAsync(new AuditEvent(actor, from, "token.revoked", null, $"user {name}", "ok", new Dictionary<string, string> { ["why"] = "password reset" }), cancellationToken);
    }
}
