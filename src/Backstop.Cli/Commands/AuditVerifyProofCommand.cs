using System.CommandLine;
using Backstop.Core.Audit;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop audit verify-proof FILE --public-key PEMFILE</c>: checks a proof offline, with nothing but the file and the
/// key (no backstop.yaml, no state store); exit 0 when it holds, 1 when it does not.
/// </summary>
internal static class AuditVerifyProofCommand
{
    public static Command Create(CliHost host)
    {
        var file = new Argument<string>("FILE") { Description = "The proof, from `backstop audit proof SEQ -o FILE`" };
        var publicKey = new Option<string>("--public-key") { Description = "The audit log's public key (PEM), from a source you trust", Required = true };
        var command = new Command("verify-proof", "Check an audit proof offline: the checkpoint's signature and the entry's path to its root") { file, publicKey };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var proofText = await ReadAsync(context, parse.GetValue(file)!, "proof", cancellationToken);
            var keyPath = parse.GetValue(publicKey)!;
            var pem = await ReadAsync(context, keyPath, "public key", cancellationToken);
            AuditProofCheck check;
            try
            {
                check = AuditProof.Verify(proofText, pem);
            }
            catch (FormatException e)
            {
                throw new UsageException($"the public key {keyPath} is not an ECDSA public key in PEM ({e.Message})");
            }

            if (context.Json)
            {
                context.WriteJson(new { valid = check.Valid, message = check.Message, exitCode = check.Valid ? ExitCodes.Done : ExitCodes.RuntimeError });
            }

            if (!check.Valid)
            {
                context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] the proof does not hold: {check.Message}");
                return ExitCodes.RuntimeError;
            }

            context.Console.WriteLine(check.Message);
            return ExitCodes.Done;
        });
        return command;
    }

    private static async Task<string> ReadAsync(CommandContext context, string file, string what, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(file, context.Host.WorkingDirectory);
        return File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken) : throw new UsageException($"there is no {what} file {path}");
    }
}
