using System.Diagnostics;

namespace Backstop.Recovery.Backups;

/// <summary>
/// Makes a rename durable. Renaming <c>.partial-ID</c> to <c>ID</c> is what marks a backup complete on disk, and a
/// rename reaches the disk only with its directory: without an fsync of the directory, a power cut can bring back
/// the old name after the catalog said "complete". .NET cannot open a directory to fsync it, so this asks coreutils'
/// <c>sync FILE</c>, which opens the named file or directory and fsyncs it.
/// </summary>
internal static class DirectorySync
{
    public static async Task SyncAsync(string directory, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var start = new ProcessStartInfo("sync") { UseShellExecute = false, RedirectStandardError = true, ArgumentList = { "--", directory } };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new BackupException($"could not start `sync` to write {directory} to disk");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BackupException($"could not start `sync` (coreutils) to write {directory} to disk: {e.Message}; install coreutils", e);
        }

        using var _ = process;
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new BackupException($"could not write {directory} to disk (sync exit {process.ExitCode}): {error.Trim()}");
        }
    }
}
