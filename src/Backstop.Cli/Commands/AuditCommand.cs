using System.CommandLine;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop audit list | export | verify | checkpoint | proof | verify-proof | public-key</c>: the tamper-evident audit log in the
/// state store (docs/audit.md). Each verb is a thin layer over Backstop.Core.Audit.
/// </summary>
internal static class AuditCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("audit", "The tamper-evident audit log: who did what, hashed into a Merkle tree with signed checkpoints");
        command.Add(AuditListCommand.Create(host));
        command.Add(AuditExportCommand.Create(host));
        command.Add(AuditVerifyCommand.Create(host));
        command.Add(AuditCheckpointCommand.Create(host));
        command.Add(AuditProofCommand.Create(host));
        command.Add(AuditVerifyProofCommand.Create(host));
        command.Add(AuditPublicKeyCommand.Create(host));
        return command;
    }
}
