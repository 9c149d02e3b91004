namespace Backstop.Cli.Tests;

/// <summary>
/// Tests that run alone, after the tests that run in parallel: those that load the machine heavily (tens of processes,
/// hundreds of MB), and CrashSafetyTests, whose kills after a random 0.3–3 s must sometimes land after a commit, which
/// a run starved of CPU by the tests beside it never reaches.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
