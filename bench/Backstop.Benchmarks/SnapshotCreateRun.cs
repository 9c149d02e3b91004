using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Backstop.Cli;
using Backstop.Cli.Commands;
using Backstop.Core.Snapshots;

namespace Backstop.Benchmarks;

/// <summary>
/// <c>backstop snapshot create</c> in this process, with the rules of bench/snapshot/run.sh's schema and a small
/// keyed masker, until the rules half of issue 18 (the <c>snapshot:</c> section and the real maskers) is merged; then
/// the script runs the <c>backstop</c> binary itself.
/// </summary>
internal static class SnapshotCreateRun
{
    public static int Run(string[] args)
    {
        var host = CliHost.FromProcess() with { Snapshots = new SnapshotInputs(_ => Settings, (_, key) => new Maskers(key)) };
        return BackstopApp.RunAsync(["snapshot", "create", .. args], host, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static TableRule Table(string name, params (string Column, MaskKind Kind)[] columns) =>
        new("public", name, false, null, columns.Select(c => new ColumnRule(c.Column, c.Kind, c.Kind == MaskKind.Fake ? "text" : null)).ToList());

    private static readonly SnapshotSettings Settings = new(
        [
            Table("customers", ("id", MaskKind.Keep), ("name", MaskKind.Fake), ("email", MaskKind.Fake), ("phone", MaskKind.Fake), ("address", MaskKind.Fake), ("created_at", MaskKind.Keep)),
            Table("orders", ("id", MaskKind.Keep), ("customer_id", MaskKind.Keep), ("total", MaskKind.Keep), ("status", MaskKind.Keep), ("placed_at", MaskKind.Keep), ("note", MaskKind.Fake)),
            Table("events", ("id", MaskKind.Keep), ("order_id", MaskKind.Keep), ("kind", MaskKind.Keep), ("payload", MaskKind.Keep), ("at", MaskKind.Keep)),
        ],
        "env:BACKSTOP_SNAPSHOT_KEY",
        "en");

    private sealed class Maskers(byte[] key) : IMaskerFactory
    {
        public IValueMasker Create(TableRule table, ColumnRule rule, SnapshotColumn column) => new Masker(key);
    }

    private sealed class Masker(byte[] key) : IValueMasker
    {
        public object? Mask(object? value) => value is null
            ? null
            : "m_" + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")))[..16];
    }
}
