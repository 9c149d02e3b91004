namespace Backstop.Recovery.Repair;

/// <summary>How a repair's <c>--from</c> or <c>--after</c> names its source.</summary>
internal enum RepairSourceKind
{
    /// <summary><c>backup:ID</c>: a logical backup, restored into a sandbox for the occasion.</summary>
    Backup,

    /// <summary><c>pitr:TIME</c>: a point-in-time clone of the environment, made for the occasion.</summary>
    Pitr,

    /// <summary>The name of another environment in <c>backstop.yaml</c> (a clone registered as one).</summary>
    Environment,

    /// <summary><c>env:VARIABLE</c>: a URL held in a variable, so that a clone's password is not on the command line.</summary>
    Variable,

    /// <summary>Anything else: a <c>postgresql://</c> URL (checked when it is opened).</summary>
    Url,
}
