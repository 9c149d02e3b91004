using System.CommandLine;
using System.Text.Json;
using Backstop.Core.Audit;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop audit export</c>: the whole log as JSON lines on standard output. Every entry is one line, its canonical
/// JSON byte for byte (the bytes its leaf hash covers); after the entry that completes a checkpoint's tree comes a line
/// <c>{"checkpoint":{…}}</c>. <c>--checkpoints</c> prints only the checkpoint lines, to keep off this host.
/// </summary>
internal static class AuditExportCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(CliHost host)
    {
        var checkpointsOnly = new Option<bool>("--checkpoints") { Description = "Only the signed checkpoints, a line each (keep them off this host: they show a log cut short)" };
        var command = new Command("export", "Print the audit log as JSON lines: each entry exactly as hashed, and each signed checkpoint as {\"checkpoint\":…}") { checkpointsOnly };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            if (context.Json)
            {
                throw new UsageException("audit export prints JSON lines already, an entry or a checkpoint each; leave out --json");
            }

            var log = await context.AuditLogAsync(cancellationToken);
            var checkpoints = await log.CheckpointsAsync(cancellationToken);
            var output = context.Host.Out;
            if (parse.GetValue(checkpointsOnly))
            {
                foreach (var checkpoint in checkpoints)
                {
                    await output.WriteLineAsync(Line(checkpoint));
                }

                return ExitCodes.Done;
            }

            var next = 0;
            await foreach (var entry in log.ReadAllAsync(cancellationToken))
            {
                await output.WriteLineAsync(entry.Json);
                for (; next < checkpoints.Count && checkpoints[next].TreeSize <= entry.Seq; next++)
                {
                    await output.WriteLineAsync(Line(checkpoints[next]));
                }
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static string Line(AuditCheckpoint checkpoint) => JsonSerializer.Serialize(new { checkpoint }, JsonOptions);
}
