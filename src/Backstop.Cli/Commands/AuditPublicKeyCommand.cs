using System.CommandLine;
using Backstop.Core.Audit;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop audit public-key</c>: prints the signing key's public half (PEM), for whoever checks proofs and checkpoints.</summary>
internal static class AuditPublicKeyCommand
{
    public static Command Create(CliHost host)
    {
        var keyOption = AuditKeyOption.Create();
        var command = new Command("public-key", "Print the public key (PEM) that checks the audit log's checkpoints and proofs; hand it to auditors") { keyOption };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            using var key = AuditSigningKey.Load(AuditKeyOption.PathOf(context, context.LoadConfig(), parse.GetValue(keyOption)));
            if (context.Json)
            {
                context.WriteJson(new { keyId = key.KeyId, publicKey = key.PublicKeyPem });
                return ExitCodes.Done;
            }

            await context.Host.Out.WriteLineAsync(key.PublicKeyPem);
            return ExitCodes.Done;
        });
        return command;
    }
}
