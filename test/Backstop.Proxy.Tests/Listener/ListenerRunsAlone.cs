namespace Backstop.Proxy.Tests.Listener;

/// <summary>
/// Listener tests that measure the whole process (its heap, working set and allocations, connections per second): they
/// run alone, after the tests that run in parallel, so that what they measure is their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ListenerRunsAlone
{
    public const string Name = "listener runs alone";
}
