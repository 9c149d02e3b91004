using Backstop.Postgres.Tools;

namespace Backstop.Postgres.Tests.Tools;

public sealed class PgBackRestTests
{
    [Fact]
    public void ArchivePushCommand_quotes_only_the_words_that_need_it_and_doubles_percent_signs()
    {
        var pgBackRest = new PgBackRest("/srv/backstop/100%/it's here.conf", "prod", ClusterOwner.Service);

        Assert.Equal(
            $"{PgBackRest.Executable} '--config=/srv/backstop/100%%/it'\\''s here.conf' --stanza=prod archive-push %p",
            pgBackRest.ArchivePushCommand);
    }

    [Fact]
    public async Task ArchivePushCommand_as_the_server_expands_it_and_the_shell_splits_it_gives_pgbackrest_each_option_whole()
    {
        var pgBackRest = new PgBackRest("/srv/backstop/100%/it's here.conf", "prod", ClusterOwner.Service);

        // What PostgreSQL does with archive_command: %p becomes the segment's path and %% a percent sign, then sh -c runs it.
        var expanded = pgBackRest.ArchivePushCommand.Replace("%p", "pg_wal/000000010000000000000001", StringComparison.Ordinal).Replace("%%", "%", StringComparison.Ordinal);
        var words = await ClusterOwner.Service.RunAsync("sh", ["-c", "set -- " + expanded + "; for word; do printf '%s\\n' \"$word\"; done"], CancellationToken.None);

        Assert.True(words.Succeeded, words.ErrorSummary());
        Assert.Equal(
            [PgBackRest.Executable, "--config=/srv/backstop/100%/it's here.conf", "--stanza=prod", "archive-push", "pg_wal/000000010000000000000001"],
            words.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
