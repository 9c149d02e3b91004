namespace Backstop.Testing;

/// <summary>
/// The trait of slow tests: those that take more than about 5 seconds each (kills at random points, loads of hundreds of
/// MB, point-in-time clones, pg_dump and pgBackRest round trips). <c>./test.sh --fast</c> leaves them out
/// (<c>--filter "Speed!=Slow"</c>); CI runs everything. Mark a class, or a single test, with
/// <c>[Trait(TestSpeed.Name, TestSpeed.Slow)]</c>; a class whose fixture is slow to set up is marked whole.
/// </summary>
internal static class TestSpeed
{
    public const string Name = "Speed";

    public const string Slow = "Slow";
}
