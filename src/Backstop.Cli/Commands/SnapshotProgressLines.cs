using Backstop.Cli.Rendering;
using Backstop.Recovery.Snapshots;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>Progress of a snapshot as lines on standard error: each phase, then tables done, rows and bytes at most every two seconds and per table.</summary>
internal sealed class SnapshotProgressLines(CommandContext context) : IProgress<SnapshotProgress>
{
    private string? _phase;
    private int _tablesDone = -1;
    private long _lastTicks;

    public void Report(SnapshotProgress value)
    {
        lock (this)
        {
            if (value.Phase != _phase)
            {
                _phase = value.Phase;
                context.ErrorConsole.MarkupLineInterpolated($"[grey]{value.Phase}…[/]");
            }

            var now = Environment.TickCount64;
            if (value.TablesTotal > 0 && (value.TablesDone != _tablesDone || now - _lastTicks > 2000))
            {
                _tablesDone = value.TablesDone;
                _lastTicks = now;
                context.ErrorConsole.MarkupLineInterpolated(
                    $"[grey]  {value.TablesDone} of {value.TablesTotal} tables, {Humanize.Count(value.Rows)} rows, {Humanize.Bytes(value.Bytes)}[/]");
            }
        }
    }
}
