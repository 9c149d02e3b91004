using System.Globalization;
using Backstop.Core.Changes;
using Backstop.Core.Policies;
using Npgsql;

namespace Backstop.Recovery.Backups;

/// <summary>
/// <c>backup restore --force</c> over an environment's non-empty database, as a change of its own: judged as the
/// destructive DDL it is (it drops and re-creates the objects the backup holds), always confirmed (Backstop cannot
/// take it back), recorded with its actor, and logged in the database's change log once the restore is done.
/// </summary>
public sealed class BackupRestoreOver(BackupRestoreService service, BackupRestoreTarget target) : IChangeOperation
{
    /// <summary>After the run: where it restored, and how long it took.</summary>
    public BackupRestoreResult? Result { get; private set; }

    /// <summary>pg_restore --clean runs in one transaction: a restore that fails leaves the database as it was.</summary>
    public bool AllOrNothing => true;

    public string Description =>
        $"-- backstop: restore backup {target.Backup.Id} over database {target.Url?.Database}, replacing its objects of the same names\n" +
        $"-- backup taken {target.Backup.StartedAt.ToString("u", CultureInfo.InvariantCulture)} of environment {target.Backup.Environment}, database {target.Backup.Database}; {target.Objects} objects there now\n";

    /// <summary>
    /// A backup of this environment whose latest drill passed is a state Backstop can prove: its restore is a recovery
    /// (<see cref="TierPolicy.Recovery"/>); any other backup's restore is judged as the destructive DDL it is.
    /// </summary>
    public IReadOnlyList<PolicyReason> Judge(TierPolicy policy) =>
    [
        Proven
            ? new("recovery", policy.Recovery, $"a recovery: replaces the objects of database {target.Url?.Database} with those of backup {target.Backup.Id}, proven by a restore drill")
            : new("destructive_ddl", policy.DestructiveDdl, $"replaces the objects of database {target.Url?.Database} with those of backup {target.Backup.Id}"),
        new("restore_over", Verdict.Confirm, $"a restore over a non-empty database ({target.Objects} objects) cannot be undone by Backstop"),
    ];

    private bool Proven => target.LatestDrillPassed && target.Environment?.Name == target.Backup.Environment;

    public async Task<IReadOnlyList<string>> RunAsync(NpgsqlConnection connection, Func<CancellationToken, Task> logChange, CancellationToken cancellationToken)
    {
        Result = await service.RestoreAsync(target, cancellationToken);

        // The restore may have replaced the backstop schema with the backup's: the change's row goes in afterwards, in
        // a transaction of its own (a crash between the two leaves the change recorded as failed although it restored).
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await logChange(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return [];
    }
}
