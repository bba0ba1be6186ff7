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
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            var any = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM (SELECT 1 FROM people LIMIT 1) x", cancellationToken: cancellationToken));
            if (any > 0)
            {
                return new SeedResult(0, 0, 0, AlreadySeeded: true);
            }
        }

        return await new SeedPopulation(database, clock).SeedAsync(people, seed, progress, cancellationToken);
    }
}
