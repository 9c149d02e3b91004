namespace Backstop.Server.Services;

/// <summary>Every 15 seconds, says in the audit log which snapshot links expired unused (each once, whichever server process sees it first).</summary>
internal sealed class SnapshotLinkSweeper(SnapshotLinkService links, Action<string> log) : Microsoft.Extensions.Hosting.BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await links.NoteExpiredAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log($"noting expired snapshot links failed (tried again in {Every.TotalSeconds:0} s): {e.Message}");
            }
        }
    }
}
