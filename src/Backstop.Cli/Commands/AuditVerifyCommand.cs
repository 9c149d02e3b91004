using System.CommandLine;
using Backstop.Core.Audit;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop audit verify</c>: recomputes every entry's hash, the chain and every checkpoint's root and signature;
/// exit 0 when all hold, exit 1 naming the first problem.
/// </summary>
internal static class AuditVerifyCommand
{
    public static Command Create(CliHost host)
    {
        var keyOption = AuditKeyOption.Create();
        var publicKey = new Option<string?>("--public-key") { Description = "Check the checkpoints' signatures with this public key (PEM) instead of the signing key's" };
        var command = new Command("verify", "Check the whole audit log: every entry's hash, the chain between them, and every signed checkpoint") { keyOption, publicKey };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var log = await context.AuditLogAsync(cancellationToken);
            var pem = log is Remote.RemoteAuditLog remote && parse.GetValue(publicKey) is null
                ? await remote.PublicKeyAsync(cancellationToken)
                : await PublicKeyAsync(context, log, parse.GetValue(publicKey), log is Remote.RemoteAuditLog ? "" : AuditKeyOption.PathOf(context, context.LoadConfig(), parse.GetValue(keyOption)), cancellationToken);
            AuditVerification result;
            try
            {
                result = await AuditVerifier.VerifyAsync(log, pem, cancellationToken);
            }
            catch (FormatException e)
            {
                throw new UsageException($"the public key {parse.GetValue(publicKey)} is not an ECDSA public key in PEM ({e.Message})");
            }

            if (context.Json)
            {
                context.WriteJson(new
                {
                    verified = result.Intact,
                    entries = result.Entries,
                    checkpoints = result.Checkpoints,
                    problem = result.Problem,
                    problemAt = result.ProblemAt,
                    exitCode = result.Intact ? ExitCodes.Done : ExitCodes.RuntimeError,
                });
            }

            if (!result.Intact)
            {
                context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] the audit log in {log.Where} was tampered with: {result.Problem}");
                return ExitCodes.RuntimeError;
            }

            context.Console.WriteLine(result.ToString());
            return ExitCodes.Done;
        });
        return command;
    }

    /// <summary>The PEM to check signatures with: the file given, else the signing key's public half; null when there is neither and nothing is signed.</summary>
    private static async Task<string?> PublicKeyAsync(CommandContext context, IAuditLog log, string? publicKeyFile, string keyPath, CancellationToken cancellationToken)
    {
        if (publicKeyFile is not null)
        {
            var path = Path.GetFullPath(publicKeyFile, context.Host.WorkingDirectory);
            return File.Exists(path)
                ? await File.ReadAllTextAsync(path, cancellationToken)
                : throw new UsageException($"there is no public key file {path}; give the PEM file the audit log's keeper exported");
        }

        if (keyPath.Length > 0 && File.Exists(keyPath))
        {
            using var key = AuditSigningKey.Load(keyPath);
            return key.PublicKeyPem;
        }

        return await log.LatestCheckpointAsync(cancellationToken) is null
            ? null
            : throw new UsageException($"the audit log has signed checkpoints but there is no signing key at {keyPath} to check them with; give --public-key FILE or --key FILE");
    }
}
