namespace Backstop.Core.Schedules;

/// <summary>The names of <see cref="ScheduleKind"/> in backstop.yaml, the state and <c>--json</c>.</summary>
public static class ScheduleKinds
{
    private static readonly (ScheduleKind Kind, string Name)[] Names =
    [
        (ScheduleKind.Backup, "backup"),
        (ScheduleKind.Drill, "drill"),
        (ScheduleKind.PitrBackup, "pitr_backup"),
        (ScheduleKind.PitrDrill, "pitr_drill"),
        (ScheduleKind.Purge, "purge"),
        (ScheduleKind.Snapshot, "snapshot"),
    ];

    public static IReadOnlyList<string> All { get; } = Names.Select(n => n.Name).ToList();

    public static string Name(ScheduleKind kind) => Names.First(n => n.Kind == kind).Name;

    public static ScheduleKind? Parse(string name) =>
        Names.FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.Ordinal)) is { Name: not null } found ? found.Kind : null;

    /// <summary>Whether the kind needs the environment's <c>pitr:</c> section.</summary>
    public static bool NeedsPitr(ScheduleKind kind) => kind is ScheduleKind.PitrBackup or ScheduleKind.PitrDrill;
}
