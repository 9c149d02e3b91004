using Backstop.Core.Configuration;
using Backstop.Core.Notifications;
using Backstop.Core.Schedules;

namespace Backstop.Core.Tests.Configuration;

/// <summary>schedule:, notifications: and server.public_url: read as written, and every mistake refused at load with its line and fix.</summary>
public sealed class ScheduleConfigTests
{
    private const string Path = "/srv/app/backstop.yaml";

    private const string Environment = """
        environments:
          prod:
            url: postgresql://db/shop
            tier: production
            timezone: Europe/Berlin

        """;

    [Fact]
    public void Parse_schedule_reads_each_kind_in_the_environments_zone_unless_it_names_one()
    {
        var config = ConfigLoader.Parse(Environment.Replace("    timezone: Europe/Berlin\n", "    timezone: Europe/Berlin\n    schedule:\n      backup: \"0 2 * * *\"\n      drill: \"*/20 * * * * *\"\n      purge: \"@daily\"\n", StringComparison.Ordinal), Path);

        var schedules = config.Environment("prod").Schedules;
        Assert.Equal([ScheduleKind.Backup, ScheduleKind.Drill, ScheduleKind.Purge], schedules.Select(s => s.Kind));
        Assert.All(schedules, s => Assert.Equal("Europe/Berlin", s.TimeZone.Id));

        // 02:00 in Berlin is 01:00 UTC in winter and 00:00 UTC in summer.
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 1, 0, 0, TimeSpan.Zero), schedules[0].Next(new DateTimeOffset(2026, 1, 14, 12, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2026, 7, 15, 0, 0, 0, TimeSpan.Zero), schedules[0].Next(new DateTimeOffset(2026, 7, 14, 12, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2026, 1, 14, 12, 0, 40, TimeSpan.Zero), schedules[1].Latest(new DateTimeOffset(2026, 1, 14, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 14, 12, 0, 59, TimeSpan.Zero)));
    }

    [Fact]
    public void Parse_schedule_timezone_overrides_the_environments()
    {
        var config = ConfigLoader.Parse(Environment + "    schedule:\n      timezone: America/New_York\n      backup: \"30 3 * * 1-5\"\n", Path);

        Assert.Equal("America/New_York", config.Environment("prod").Schedules.Single().TimeZone.Id);
    }

    [Fact]
    public void Parse_schedule_with_a_bad_cron_expression_names_the_line_the_kind_and_the_form()
    {
        var error = Parse(Environment + "    schedule:\n      backup: \"61 2 * * *\"\n");

        Assert.StartsWith("/srv/app/backstop.yaml:7:15: schedule.backup of environment 'prod' is '61 2 * * *', which is not a cron expression (", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("e.g. \"0 2 * * *\" for 02:00 every day, \"*/15 * * * *\" for every quarter hour, or six fields with seconds first", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_schedule_with_an_unknown_time_zone_says_to_use_an_IANA_name()
    {
        var error = Parse(Environment + "    schedule:\n      timezone: Mars/Olympus\n      backup: \"0 2 * * *\"\n");

        Assert.Equal("/srv/app/backstop.yaml:7:17: schedule.timezone of environment 'prod' is 'Mars/Olympus', an unknown time zone; use an IANA name such as Europe/Berlin or UTC", error.Message);
    }

    [Fact]
    public void Parse_schedule_with_an_unknown_kind_lists_the_kinds()
    {
        var error = Parse(Environment + "    schedule:\n      vacuum: \"0 2 * * *\"\n");

        Assert.Equal("/srv/app/backstop.yaml:7:7: unknown key 'vacuum' in the schedule of environment 'prod'; expected one of: timezone, backup, drill, pitr_backup, pitr_drill, purge, snapshot", error.Message);
    }

    [Fact]
    public void Parse_pitr_schedule_without_pitr_says_to_enable_it()
    {
        var error = Parse(Environment + "    schedule:\n      pitr_backup: \"0 1 * * 0\"\n");

        Assert.Equal(
            "/srv/app/backstop.yaml:7:7: schedule.pitr_backup of environment 'prod' needs point-in-time recovery, which is not set up for it; run `backstop pitr enable -e prod --pgdata PATH` first, or remove the line",
            error.Message);
    }

    [Fact]
    public void Parse_webhooks_read_the_reference_events_and_retries()
    {
        var config = ConfigLoader.Parse(Environment + """
            server:
              public_url: https://backstop.example.com/
            notifications:
              check_every: 1m
              webhooks:
                chat:
                  url: env:CHAT_WEBHOOK
                  events: [approval.requested, drill.failed]
                  attempts: 3
                  backoff: 500ms
                pager:
                  url: file:/etc/backstop/pager-url
            """, Path);

        Assert.Equal("https://backstop.example.com", config.Server!.PublicUrl);
        var (chat, pager) = (config.Notifications!.Webhooks[0], config.Notifications.Webhooks[1]);
        Assert.Equal(("chat", "env:CHAT_WEBHOOK", 3, TimeSpan.FromMilliseconds(500)), (chat.Name, chat.UrlReference, chat.Attempts, chat.Backoff));
        Assert.Equal(new HashSet<string> { NotificationEvents.ApprovalRequested, NotificationEvents.DrillFailed }, chat.Events);
        Assert.Equal(NotificationEvents.All.ToHashSet(), pager.Events);
        Assert.Equal(TimeSpan.FromMinutes(1), config.Notifications.CheckEvery);
    }

    [Fact]
    public void Parse_webhook_url_written_in_the_file_is_refused_without_repeating_it()
    {
        var error = Parse(Environment + "notifications:\n  webhooks:\n    chat:\n      url: https://hooks.example.com/services/T000/B000/SECRETTOKEN\n");

        Assert.StartsWith("/srv/app/backstop.yaml:9:12: notifications.webhooks.chat.url must say where the webhook's URL is kept, env:VARNAME or file:/PATH, not the URL itself", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETTOKEN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_webhook_with_an_unknown_event_lists_the_events()
    {
        var error = Parse(Environment + "notifications:\n  webhooks:\n    chat:\n      url: env:CHAT\n      events: [approval.requested, backup.done]\n");

        Assert.Equal(
            "/srv/app/backstop.yaml:10:36: notifications.webhooks.chat.events has 'backup.done', which is not an event; expected some of: approval.requested, approval.approved, approval.rejected, break_glass.review, drill.failed, restore.stale",
            error.Message);
    }

    [Fact]
    public void Parse_webhook_without_url_says_how_to_give_one()
    {
        var error = Parse(Environment + "notifications:\n  webhooks:\n    chat:\n      attempts: 3\n");

        Assert.Equal("/srv/app/backstop.yaml:9:7: notifications.webhooks.chat has no 'url'; write url: env:VARNAME (or url: file:/PATH) and put the webhook's URL there", error.Message);
    }

    [Fact]
    public void Parse_public_url_with_a_query_is_refused()
    {
        var error = Parse(Environment + "server:\n  public_url: https://backstop.example.com/?x=1\n");

        Assert.StartsWith("/srv/app/backstop.yaml:7:15: server.public_url is 'https://backstop.example.com/?x=1'; expected the address people open the server at", error.Message, StringComparison.Ordinal);
    }

    private static ConfigException Parse(string text) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(text, Path));
}
