using Backstop.Core.Team;

namespace Backstop.Server.Api;

/// <summary>Sign-in: a user name and password; <c>client</c> names the machine, for the token list.</summary>
public sealed record SignInRequest(string User, string Password, string? Client);

/// <summary>The token is shown once, here; the server keeps only its hash.</summary>
public sealed record SignInResponse(string Token, DateTimeOffset Expires, string User, TeamRole Role);

public sealed record MeResponse(string User, TeamRole Role);

public sealed record EnvironmentView(string Name, Core.Configuration.Tier Tier);

/// <summary>The answer to a change left waiting for its requester's confirmation.</summary>
public sealed record ConfirmRequest(bool Yes, string? Confirm, bool AllowAllRows, bool Decline);

public sealed record VoteRequest(string? Reason);

public sealed record ExecuteRequest(string? ScriptSha256);

public sealed record NewUserRequest(string Name, TeamRole Role, string Password);

public sealed record PasswordRequest(string Password);

public sealed record UserView(string Name, TeamRole Role, bool Disabled, bool Locked, int FailedAttempts, DateTimeOffset CreatedAt)
{
    public static UserView Of(TeamUser user) => new(user.Name, user.Role, user.Disabled, user.LockedAt is not null, user.FailedAttempts, user.CreatedAt);
}

public sealed record HealthView(string Status, string Version, string State);

/// <summary>A snapshot link's lifetime as a duration (<c>3m</c>, <c>90s</c>); the default is 3 minutes.</summary>
public sealed record SnapshotLinkRequest(string? Ttl);
