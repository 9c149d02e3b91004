namespace Backstop.Cli.Tests;

/// <summary>
/// Tests that load the machine heavily (tens of processes, hundreds of MB): they run alone, after the tests that run in
/// parallel, so that tests sensitive to timing (CrashSafetyTests kills processes after a random delay) are not starved.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
