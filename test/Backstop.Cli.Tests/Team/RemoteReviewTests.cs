using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// `backstop review` from a signed-in CLI runs on the team server (issue 19 with issue 15's remote mode): the server's
/// credentials reach the database, a local migration file travels as text, a SARIF log comes back into a local file,
/// and the server reads or writes no file a caller names. As on the console, the review is for approvers and admins.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class RemoteReviewTests : IAsyncLifetime
{
    private TeamSetup _team = null!;

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync();
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task An_approver_reviews_production_through_the_server_with_a_local_migration_and_a_local_sarif_file()
    {
        var live = await _team.Bob.RunAsync("review", "-e", "prod", "--json");
        Assert.True(live.ExitCode == 0, live.ToString());
        using (var json = JsonDocument.Parse(live.Out))
        {
            Assert.Contains(SchemaReviewTests.Findings(json), f => f.GetProperty("rule").GetString() == "cascade-without-index" && f.GetProperty("object").GetString() == "public.leads.leads_user_id_fkey");
        }

        var migration = Path.Combine(_team.Bob.WorkingDirectory, "0042_notes.sql");
        await File.WriteAllTextAsync(migration, "CREATE TABLE notes (id int PRIMARY KEY, lead_id int REFERENCES leads ON DELETE CASCADE);");
        var sarif = Path.Combine(_team.Bob.WorkingDirectory, "review.sarif");
        var reviewed = await _team.Bob.RunAsync("review", "-e", "prod", "-f", migration, "--sarif", sarif);

        Assert.True(reviewed.ExitCode == 0, reviewed.ToString());
        Assert.Contains("migration-new-cascade", reviewed.Error + reviewed.Out, StringComparison.Ordinal);
        using var log = JsonDocument.Parse(await File.ReadAllTextAsync(sarif));
        Assert.Equal("2.1.0", log.RootElement.GetProperty("version").GetString());
        Assert.Contains(log.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "cascade-without-index");
        // Previewed and rolled back on the server: nothing was created.
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM pg_class WHERE relname = 'notes'"));
    }

    [Fact]
    public async Task A_requester_is_refused_and_the_server_reads_no_file_a_caller_names()
    {
        var refused = await _team.Alice.RunAsync("review", "-e", "prod");
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("the schema review is for approvers and admins", refused.Error, StringComparison.Ordinal);

        // Sent as the CLI would never send it: a path for the server to open.
        using var client = new HttpClient { BaseAddress = new Uri(_team.Server.Url) };
        var token = JsonDocument.Parse(await File.ReadAllTextAsync(_team.Bob.CredentialsPath)).RootElement.GetProperty("token").GetString();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await client.PostAsync("/api/v1/commands", new StringContent("""{"args":["review","-e","prod","-f","/etc/passwd"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("does not read or write for a caller", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
