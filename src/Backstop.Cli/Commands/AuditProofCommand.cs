using System.CommandLine;
using Backstop.Core.Audit;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop audit proof SEQ [-o FILE]</c>: the inclusion proof of one entry against the latest signed checkpoint
/// (signing one first if none covers the entry), as JSON that <c>audit verify-proof</c> checks anywhere.
/// </summary>
internal static class AuditProofCommand
{
    public static Command Create(CliHost host)
    {
        var seq = new Argument<long>("SEQ") { Description = "The entry's number, from `backstop audit list`" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the proof to this file instead of standard output" };
        var keyOption = AuditKeyOption.Create();
        var command = new Command("proof", "Print the proof that one entry is in the signed audit log, checkable offline with `backstop audit verify-proof`") { seq, output, keyOption };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var number = parse.GetValue(seq);
            AuditProof proof;
            if (context.Remote is not null)
            {
                proof = AuditProof.FromJson(await new Remote.RemoteAuditLog(context.ServerClient()).ProofAsync(number, cancellationToken));
            }
            else
            {
                var config = context.LoadConfig();
                var log = await context.OpenAuditLogAsync(config, cancellationToken);
                using var key = AuditSigningKey.LoadOrCreate(AuditKeyOption.PathOf(context, config, parse.GetValue(keyOption)));
                try
                {
                    proof = await AuditProver.CreateAsync(log, number, key, cancellationToken);
                }
                catch (ArgumentOutOfRangeException)
                {
                    throw new UsageException($"there is no audit entry {number}; list them with `backstop audit list`");
                }
            }

            if (parse.GetValue(output) is { } file)
            {
                var path = Path.GetFullPath(file, context.Host.WorkingDirectory);
                await File.WriteAllTextAsync(path, proof.ToJson() + "\n", cancellationToken);
                if (context.Json)
                {
                    context.WriteJson(new { file = path, seq = number, treeSize = proof.TreeSize });
                }
                else
                {
                    context.Console.WriteLine($"wrote the proof of entry {number} in the log of {proof.TreeSize} entries to {path}");
                }

                return ExitCodes.Done;
            }

            // The proof is the document, with --json or without.
            await context.Host.Out.WriteLineAsync(proof.ToJson());
            if (context.Json)
            {
                context.MarkJsonWritten();
            }

            return ExitCodes.Done;
        });
        return command;
    }
}
