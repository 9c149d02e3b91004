namespace Backstop.Core.State;

/// <summary>Where changes are recorded (DESIGN.md, D4): SQLite by default, PostgreSQL for team mode later.</summary>
public interface IStateStore
{
    Task<long> AddAsync(ChangeRecord change, CancellationToken cancellationToken);

    Task UpdateAsync(ChangeRecord change, CancellationToken cancellationToken);

    Task<ChangeRecord?> GetAsync(long id, CancellationToken cancellationToken);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<ChangeRecord>> ListAsync(string? environment, int limit, CancellationToken cancellationToken);
}
