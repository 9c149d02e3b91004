using System.CommandLine;
using Backstop.Core.Audit;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop audit checkpoint</c>: signs the current tree head (creating the signing key if there is none).</summary>
internal static class AuditCheckpointCommand
{
    public static Command Create(CliHost host)
    {
        var keyOption = AuditKeyOption.Create();
        var command = new Command("checkpoint", "Sign the audit log's current Merkle root and store it as a checkpoint (nothing new when no entry was added since the last)") { keyOption };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var log = await context.OpenAuditLogAsync(config, cancellationToken);
            using var key = AuditSigningKey.LoadOrCreate(AuditKeyOption.PathOf(context, config, parse.GetValue(keyOption)));
            var checkpoint = await log.CheckpointAsync(key, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { checkpoint, publicKey = key.PublicKeyPem });
                return ExitCodes.Done;
            }

            context.Console.WriteLine(checkpoint is null
                ? "The audit log is empty: nothing to sign."
                : $"checkpoint at size {checkpoint.TreeSize}: root {checkpoint.RootHash}, signed by key {checkpoint.KeyId} at {checkpoint.At.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffffZ}");
            return ExitCodes.Done;
        });
        return command;
    }
}
