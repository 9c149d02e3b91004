using Backstop.Core.Changes;

namespace Backstop.Server.Services;

/// <summary>
/// Settles, once the server has started, the changes its state still records as running: what a server that stopped
/// between keeping a change and recording how it ended (a proxy statement's record is settled after the client's
/// answer; an API run's after its commit) leaves behind. The target's change log decides, as `backstop changes` does
/// on a workspace of its own (<see cref="ChangeReconciler"/>); a change still at work in another session is left alone.
/// </summary>
internal sealed class RunningChangeSettler(ServerContext server, Action<string> log) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            foreach (var note in await ChangeReconciler.ReconcileAsync(server.Config, server.Store, server.Connector, stoppingToken))
            {
                log("backstop: " + note);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            log($"backstop: changes recorded as running could not be settled ({e.Message}); `backstop changes` in the server's workspace settles them");
        }
    }
}
