using Backstop.Recovery.Snapshots;

namespace Backstop.Recovery.Tests.Snapshots;

/// <summary>The leak scan's matcher over streamed text: values cut between pieces and windows, and as COPY escapes them.</summary>
public sealed class LeakMatcherTests
{
    [Fact]
    public void Scanner_finds_a_value_cut_across_pieces_and_across_the_window_edge()
    {
        var samples = new LeakSamples();
        samples.Add("ada@example.org", "public.users.email");
        samples.Add("Grace Hopper", "public.users.name");
        var matcher = new LeakMatcher(samples);

        var scanner = matcher.Scanner("3391.dat");
        scanner.Feed(new string('x', (1 << 18) - 5));
        scanner.Feed("1\tada@exa");
        scanner.Feed("mple.org\tkept\n");
        scanner.Complete();

        Assert.Equal([new LeakHit("public.users.email", "3391.dat")], matcher.Hits);
    }

    [Fact]
    public void Scanner_finds_a_value_as_copy_text_escapes_it_and_names_every_column_it_came_from()
    {
        var samples = new LeakSamples();
        samples.Add("line one\nline two", "public.conversations.body");
        samples.Add("line one\nline two", "public.leads.note");
        var matcher = new LeakMatcher(samples);

        var scanner = matcher.Scanner("3392.dat");
        scanner.Feed("7\tsaid: line one\\nline two, then left\n");
        scanner.Complete();

        Assert.Equal(["public.conversations.body", "public.leads.note"], matcher.Hits.Select(h => h.Source).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Scanner_without_samples_finds_nothing()
    {
        var matcher = new LeakMatcher(new LeakSamples());
        var scanner = matcher.Scanner("toc.dat");
        scanner.Feed("anything at all");
        scanner.Complete();

        Assert.Empty(matcher.Hits);
    }
}
