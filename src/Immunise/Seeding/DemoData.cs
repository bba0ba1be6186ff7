using Immunise.Storage;

namespace Immunise.Seeding;

// TEMPORARY STUB (branch `web`): the real demo-population generator is built on another branch and replaces this file
// at merge. It has the same signature and seeds nothing here.
public sealed record SeedResult(int Postcodes, int People, int Vaccinations, bool AlreadySeeded);

public sealed class DemoData(Database database, TimeProvider clock)
{
    public Task<SeedResult> SeedIfEmptyAsync(int people, int seed, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        _ = (database, clock, people, seed, progress, cancellationToken);
        return Task.FromResult(new SeedResult(0, 0, 0, false));
    }
}
