using Backstop.Core.Team;

namespace Backstop.Server.Services;

/// <summary>Who a request comes from: the person the token belongs to, the token's hash (to revoke it), and their address.</summary>
public sealed record SignedInUser(TeamUser User, string TokenHash, string? From)
{
    public string Name => User.Name;
}
