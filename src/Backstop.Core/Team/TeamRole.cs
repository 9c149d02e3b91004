namespace Backstop.Core.Team;

/// <summary>What a person may do in team mode (docs/server.md "People").</summary>
public enum TeamRole
{
    /// <summary>Previews and runs changes; a change that needs approval waits for someone else.</summary>
    Requester,

    /// <summary>A requester who may also approve or reject other people's requests.</summary>
    Approver,

    /// <summary>An approver who also manages people and their tokens.</summary>
    Admin,

    /// <summary>
    /// An application, not a person: connects through the proxy with the static guard (no per-statement measurement),
    /// and may neither approve nor sign in to the API's change endpoints (docs/proxy.md).
    /// </summary>
    Service,
}
