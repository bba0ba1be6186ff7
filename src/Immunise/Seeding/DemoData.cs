using Dapper;
using Immunise.Storage;

namespace Immunise.Seeding;

/// <summary>What seeding did: postcodes, people and vaccination events added, or that the register already had people.</summary>
public sealed record SeedResult(int Postcodes, int People, int Vaccinations, bool AlreadySeeded);

/// <summary>
/// The demo population the web host seeds at first start: the synthetic postcode directory and synthetic people with
/// vaccination histories, only when the register has no people yet.
/// </summary>
public sealed class DemoData(Database database, TimeProvider clock)
{
    /// <summary>
    /// Seeds the synthetic postcode directory and <paramref name="people"/> synthetic people (+ history) when the people
    /// table is empty; otherwise does nothing and returns <c>AlreadySeeded = true</c>.
    /// </summary>
    public async Task<SeedResult> SeedIfEmptyAsync(int people, int seed, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        // Several nodes may start together on one empty PostgreSQL: the first to take this lock seeds, the others then find
        // people and do nothing. (A session lock, so it is held on a connection of its own for the whole seeding.)
        await using var session = await database.OpenSessionAsync(cancellationToken);
        if (database.Dialect.IsPostgres)
        {
            await session.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = SeedLockKey }, cancellationToken: cancellationToken));
        }

        try
        {
            var any = await session.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM (SELECT 1 FROM people LIMIT 1) x", cancellationToken: cancellationToken));
            if (any > 0)
            {
                return new SeedResult(0, 0, 0, AlreadySeeded: true);
            }

            return await new SeedPopulation(database, clock).SeedAsync(people, seed, progress, cancellationToken);
        }
        finally
        {
            if (database.Dialect.IsPostgres)
            {
                await session.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = SeedLockKey });
            }
        }
    }

    private const long SeedLockKey = 7_262_022; // one more than the migrator's
}
