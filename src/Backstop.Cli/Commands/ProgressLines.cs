using Backstop.Recovery.Backups;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>Progress of a backup or drill, as lines on standard error (cron-friendly: no animation, a line per step).</summary>
internal sealed class ProgressLines(CommandContext context) : IProgress<BackupProgress>
{
    private string? _phase;
    private int _decile = -1;

    public IProgress<string> Steps => new Progress<string>(step => context.ErrorConsole.MarkupLineInterpolated($"[grey]{step}…[/]"));

    public void Report(BackupProgress value)
    {
        lock (this)
        {
            if (value.Phase != _phase)
            {
                _phase = value.Phase;
                context.ErrorConsole.MarkupLineInterpolated($"[grey]{value.Phase}…[/]");
            }

            if (value.TablesTotal > 0 && value.TablesDone * 10 / value.TablesTotal is var decile && decile > _decile)
            {
                _decile = decile;
                context.ErrorConsole.MarkupLineInterpolated($"[grey]  {value.TablesDone} of {value.TablesTotal} tables dumped[/]");
            }
        }
    }
}
