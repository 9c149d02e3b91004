using Backstop.Core.State;
using Backstop.Core.Team;
using Backstop.Core.Tests.State;

namespace Backstop.Core.Tests.Team;

/// <summary>The steps of an approval that must happen once, on both kinds of store.</summary>
[Trait("Area", "State")]
public sealed class TeamStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("backstop-team-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<TeamStore> OpenAsync(string kind) =>
        new(await TeamDatabase.OpenAsync(await TestStores.CreateAsync(kind, _directory), null, CancellationToken.None));

    private static ApprovalRequest Request(int required) => new()
    {
        ChangeId = 1,
        Environment = "prod",
        SystemIdentifier = "7300000000000000001",
        Database = "app",
        DatabaseOid = 16384,
        ScriptSha256 = new string('a', 64),
        Impact = [new TableCount("public.users", 0, 0, 1), new TableCount("public.leads", 0, 0, 30)],
        Requester = "alice",
        RequiredApprovals = required,
        Status = ApprovalStatus.Open,
        CreatedAt = Now,
        ExpiresAt = Now.AddHours(24),
    };

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VoteAsync_two_required_approvals_need_two_people_each_voting_once(string kind)
    {
        var team = await OpenAsync(kind);
        var id = await team.AddRequestAsync(Request(required: 2), CancellationToken.None);

        Assert.Equal(ApprovalStatus.Open, await team.VoteAsync(id, new ApprovalVote("bob", true, "ok", Now.AddMinutes(1)), TimeSpan.FromHours(4), CancellationToken.None));
        Assert.Null(await team.VoteAsync(id, new ApprovalVote("bob", true, "again", Now.AddMinutes(2)), TimeSpan.FromHours(4), CancellationToken.None));
        Assert.False(await team.ClaimForExecutionAsync(id, Now.AddMinutes(3), CancellationToken.None));
        Assert.Equal(ApprovalStatus.Approved, await team.VoteAsync(id, new ApprovalVote("carol", true, null, Now.AddMinutes(4)), TimeSpan.FromHours(4), CancellationToken.None));

        var stored = (await team.GetRequestAsync(id, CancellationToken.None))!;
        Assert.Equal(["bob", "carol"], stored.Approvers);
        Assert.Equal(Now.AddMinutes(4).AddHours(4), stored.ExecuteBy);
        Assert.Equal(Request(2).Impact, stored.Impact);
        Assert.Equal(16384u, stored.DatabaseOid);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task ClaimForExecutionAsync_from_eight_callers_at_once_one_wins_and_none_after_the_window(string kind)
    {
        var team = await OpenAsync(kind);
        var id = await team.AddRequestAsync(Request(required: 1), CancellationToken.None);
        await team.VoteAsync(id, new ApprovalVote("bob", true, null, Now), TimeSpan.FromHours(4), CancellationToken.None);

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => team.ClaimForExecutionAsync(id, Now.AddHours(1), CancellationToken.None))));
        Assert.Equal(1, claims.Count(c => c));
        Assert.Equal(ApprovalStatus.Executed, (await team.GetRequestAsync(id, CancellationToken.None))!.Status);

        var late = await team.AddRequestAsync(Request(required: 1), CancellationToken.None);
        await team.VoteAsync(late, new ApprovalVote("bob", true, null, Now), TimeSpan.FromHours(4), CancellationToken.None);
        Assert.False(await team.ClaimForExecutionAsync(late, Now.AddHours(4).AddSeconds(1), CancellationToken.None));
        Assert.Equal(ApprovalStatus.Expired, (await team.GetRequestAsync(late, CancellationToken.None))!.StatusAt(Now.AddHours(5)));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VoteAsync_a_rejection_closes_the_request_and_later_votes_and_expired_requests_take_none(string kind)
    {
        var team = await OpenAsync(kind);
        var rejected = await team.AddRequestAsync(Request(required: 2), CancellationToken.None);
        Assert.Equal(ApprovalStatus.Rejected, await team.VoteAsync(rejected, new ApprovalVote("bob", false, "wrong tenant", Now), TimeSpan.FromHours(4), CancellationToken.None));
        Assert.Null(await team.VoteAsync(rejected, new ApprovalVote("carol", true, null, Now), TimeSpan.FromHours(4), CancellationToken.None));
        Assert.Contains("wrong tenant", (await team.GetRequestAsync(rejected, CancellationToken.None))!.ClosedReason);

        var expired = await team.AddRequestAsync(Request(required: 1), CancellationToken.None);
        Assert.Null(await team.VoteAsync(expired, new ApprovalVote("bob", true, null, Now.AddHours(25)), TimeSpan.FromHours(4), CancellationToken.None));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task Tokens_and_lockout_are_kept_by_hash_and_counted_in_the_store(string kind)
    {
        var team = await OpenAsync(kind);
        var verifier = ScramVerifier.Create("bob-long-password", 4096);
        Assert.True(await team.AddUserAsync(
            new TeamUser { Name = "bob", Role = TeamRole.Approver, PasswordHash = PasswordHashing.Hash("bob-long-password"), ScramVerifier = verifier.ToString(), CreatedAt = Now },
            CancellationToken.None));
        Assert.False(await team.AddUserAsync(new TeamUser { Name = "bob", Role = TeamRole.Admin, PasswordHash = "x", CreatedAt = Now }, CancellationToken.None));

        var token = AccessTokens.New();
        var tokenVerifier = ScramVerifier.Create(token, verifier.Salt, verifier.Iterations).ToString();
        await team.AddTokenAsync(AccessTokens.HashOf(token), "bob", Now, Now.AddHours(12), "laptop", CancellationToken.None, tokenVerifier);
        Assert.Equal(("bob", Now.AddHours(12), false), await team.FindTokenAsync(AccessTokens.HashOf(token), CancellationToken.None));
        Assert.Equal(verifier.ToString(), (await team.GetUserAsync("bob", CancellationToken.None))!.ScramVerifier);
        Assert.Equal([tokenVerifier], await team.LiveTokenVerifiersAsync("bob", Now.AddHours(1), CancellationToken.None));
        Assert.Empty(await team.LiveTokenVerifiersAsync("bob", Now.AddHours(13), CancellationToken.None));
        Assert.Null(await team.FindTokenAsync(token, CancellationToken.None));

        for (var i = 1; i < 3; i++)
        {
            Assert.Equal((i, false), await team.RecordFailedSignInAsync("bob", 3, Now, CancellationToken.None));
        }

        Assert.Equal((3, true), await team.RecordFailedSignInAsync("bob", 3, Now, CancellationToken.None));
        Assert.True(await team.SetPasswordAsync("bob", PasswordHashing.Hash("bob-new-password"), ScramVerifier.Create("bob-new-password", 4096).ToString(), Now, CancellationToken.None));
        var bob = (await team.GetUserAsync("bob", CancellationToken.None))!;
        Assert.Null(bob.LockedAt);
        Assert.Equal(0, bob.FailedAttempts);
        Assert.True((await team.FindTokenAsync(AccessTokens.HashOf(token), CancellationToken.None))!.Value.Revoked);
        Assert.NotEqual(verifier.ToString(), bob.ScramVerifier);
        Assert.Empty(await team.LiveTokenVerifiersAsync("bob", Now.AddHours(1), CancellationToken.None));
    }
}
