using Backstop.Sql.Classification;

namespace Backstop.Core.Changes;

/// <summary>
/// Backstop's own objects (the <c>backstop</c> schema with the change log and before-images, and the recycle bin's
/// <c>backstop_trash_*</c> schemas) are off limits to scripts: a script that wrote there could make a change impossible
/// to undo, or undo report conflicts that are not there.
/// </summary>
public static class OwnObjects
{
    /// <summary>Refuses, before anything runs, a write whose text names one of Backstop's schemas.</summary>
    /// <exception cref="ScriptRejectedException">the statement writes, drops or alters an object of Backstop's.</exception>
    public static void Check(AnalyzedStatement statement)
    {
        var info = statement.Info;
        // A query's targets are the relations it reads (undo reads the images); only what a statement writes is checked here.
        if (!info.IsWrite || info.Kind is StatementKind.Select or StatementKind.CopyTo)
        {
            return;
        }

        foreach (var target in info.Targets)
        {
            var schema = info.Kind == StatementKind.DropSchema || info.ObjectType == "SCHEMA" ? target.Name : target.Schema;
            if (schema is not null && IsOwnSchema(schema))
            {
                throw Refusal(statement, target.ToString());
            }
        }
    }

    /// <summary>The capture schema, an item of the recycle bin, or the state (when a target database also holds it).</summary>
    public static bool IsOwnSchema(string schema) =>
        schema == Capture.CaptureSchema.Name || schema == State.StateSchema.PostgresSchema || schema.StartsWith(RecycleBin.TrashBin.Schema + "_", StringComparison.Ordinal);

    internal static ScriptRejectedException Refusal(AnalyzedStatement statement, string what) => new(
        $"statement {statement.Index + 1} at {statement.Location} writes to {what}, which is Backstop's own (the change log, before-images, the recycle bin); " +
        "Backstop refuses scripts that change its objects, so that every change stays undoable. Nothing was executed; " +
        "use `backstop undo`, `backstop trash restore` or `backstop trash purge` to work with them");
}
