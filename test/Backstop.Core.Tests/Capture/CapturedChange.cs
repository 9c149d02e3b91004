using Backstop.Core.Capture;

namespace Backstop.Core.Tests.Capture;

/// <summary>A change <see cref="CapturedChanges"/> ran: its id in the target's change log, and what capture counted per table.</summary>
internal sealed record CapturedChange(Guid ChangeId, long LocalId, IReadOnlyList<CapturedTable> Tables, IReadOnlySet<string> CreatedByChange)
{
    public CapturedTable Table(string name) => Tables.Single(t => t.Name == name);
}
