using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Recovery.Snapshots;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop snapshot create -e ENV [--jobs N]</c>.</summary>
internal static class SnapshotCreateCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Tables read at once, each on its own connection in the same snapshot; also pg_restore jobs of the drill (default 2)" };
        var command = new Command("create", "Read the environment in one snapshot, mask while streaming, write a dump pg_restore loads, then prove it: a restore drill and a leak scan")
        {
            environmentOption, jobs,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var j = parse.GetValue(jobs) ?? 2;
            if (j is < 1 or > 64)
            {
                throw new UsageException($"--jobs {j} is out of range; use 1 to 64");
            }

            var settings = host.Snapshots.Settings(environment);
            var key = SnapshotInputs.Key(environment, settings, host.Variables);
            var maskers = host.Snapshots.Maskers(settings, key);
            var service = new SnapshotService(config, context.Connector, host.Clock);
            var (path, manifest, duration) = await service.CreateAsync(environment, settings, maskers, key, j, new SnapshotProgressLines(context), cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    id = manifest.Id, environment = manifest.Environment, status = manifest.Status, usable = manifest.IsUsable, path, message = manifest.Message,
                    sizeBytes = manifest.SizeBytes, rows = manifest.KeptRows, snapshotTime = manifest.SnapshotTime, durationSeconds = Math.Round(duration.TotalSeconds, 3),
                    settingsFingerprint = manifest.SettingsFingerprint,
                    tables = manifest.Tables.Select(t => new { schema = t.Schema, name = t.Name, sourceRows = t.SourceRows, keptRows = t.KeptRows, maskedColumns = t.MaskedColumns }),
                    drill = manifest.Drill, leakScan = manifest.LeakScan,
                });
            }
            else if (manifest.IsUsable)
            {
                context.Console.MarkupLineInterpolated(
                    $"[green]Snapshot {manifest.Id}[/] of {environment.Name}: {manifest.Tables.Count} tables, {Humanize.Count(manifest.KeptRows)} rows, {Humanize.Bytes(manifest.SizeBytes)} in {Humanize.Span(duration)}; the drill restored it and the leak scan found none of {Humanize.Count(manifest.LeakScan?.SampledValues ?? 0)} original values.");
                context.Console.MarkupLineInterpolated($"Load it with `backstop snapshot load {manifest.Id} --to ENV|URL`.");
            }
            else
            {
                context.Console.MarkupLineInterpolated($"[red]Snapshot {manifest.Id} of {environment.Name} failed[/] and is not usable; its data was deleted.");
                foreach (var failure in manifest.Drill?.Failures ?? [])
                {
                    context.Console.MarkupLineInterpolated($"  [red]✗[/] drill: {failure}");
                }

                foreach (var leak in manifest.LeakScan?.Hits ?? [])
                {
                    context.Console.MarkupLineInterpolated($"  [red]✗[/] leak: an original value of [bold]{leak.Source}[/] appears in {leak.FoundIn}; fix its rule");
                }
            }

            return manifest.IsUsable ? ExitCodes.Done : ExitCodes.RuntimeError;
        });
        return command;
    }
}
