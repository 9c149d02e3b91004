namespace Backstop.Core.Configuration;

/// <summary>The commented file <c>backstop init</c> writes.</summary>
public static class StarterConfig
{
    public const string Text = """
        # backstop.yaml: environments and policies for Backstop.
        # Docs: docs/configuration.md and docs/policies.md in the Backstop repository.

        # Each environment is a PostgreSQL database Backstop guards. Add them with
        #   backstop env add NAME --url URL --tier production|staging|development
        # which also records the target's identity (cluster system identifier, database, host, port):
        # if the URL ever reaches a different server, Backstop refuses to run anything there.
        #
        # A url may be env:VARNAME, read from the environment when used, so no password is stored here.
        # Optional per environment: timezone (IANA name, for the freeze window; default UTC),
        # lock_timeout (default 2s) and statement_timeout (default 30s) bound previews.
        environments:

        # Policies per tier. Each rule's verdict is allow, confirm, approve or deny; the strictest
        # matching rule decides. Uncomment a key to change the built-in default shown.
        policies:
          production:
            # all_rows: deny                  # UPDATE/DELETE with no WHERE, or a trivially true one
            # all_rows_acknowledged: approve  # what --allow-all-rows turns all_rows into
            # drop_database: deny
            # destructive_ddl: approve        # DROP TABLE / SCHEMA, TRUNCATE, ALTER TABLE ... DROP COLUMN
            # total_rows_over: 1000           # more rows than this changed in all, cascades included ...
            # total_rows: approve             # ... asks for this
            # table_fraction_at_least: 50%    # a statement changes at least this share ...
            # table_fraction_min_rows: 100    # ... of a table holding more rows than this ...
            # table_fraction: approve         # ... asks for this
            # cascade: confirm                # a DELETE cascades into other tables ...
            # cascade_large_over: 100         # ... more rows than this ...
            # cascade_large: approve          # ... asks for this
            # freeze_window: "Fri 16:00 - Mon 08:00"   # or none
            # freeze: approve                 # any write inside the freeze window
            # unclassified: approve           # a statement Backstop cannot classify
            # no_primary_key: approve         # a write to a table without a primary key (undo matches whole rows)
            # write: confirm                  # any other write
            # read: allow
          staging:
            # all_rows: confirm
            # drop_database: confirm
            # destructive_ddl: confirm
            # freeze: allow
            # write: allow
          development:
            # write: allow

        # Where changes and backups are recorded: .backstop/state.db beside this file, unless state: names a
        # PostgreSQL database that a team shares (a URL without a password, or env:VARNAME; docs/configuration.md).
        # state: env:BACKSTOP_STATE_URL

        """;
}
