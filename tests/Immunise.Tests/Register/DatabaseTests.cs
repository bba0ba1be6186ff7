using Dapper;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Register;

public sealed class DatabaseTests
{
    [Fact]
    public async Task OpenAsync_Sqlite_EveryConnectionIsInWalModeWithNormalSyncAndABusyTimeout()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);

        for (var i = 0; i < 3; i++) // the first physical connection, then the same one again from the pool
        {
            await using var connection = await db.Database.OpenAsync();
            Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("PRAGMA synchronous"));
            Assert.Equal(30000, await connection.ExecuteScalarAsync<int>("PRAGMA busy_timeout"));
        }
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Migrator_RunTwice_AppliesEachScriptOnceAndReportsVersions(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);

        var again = await new Migrator(db.Database).MigrateAsync();
        var applied = await new Migrator(db.Database).AppliedAsync();

        Assert.Empty(again);
        Assert.Equal(Migrator.Scripts(provider).Select(m => m.Version), applied);
        Assert.Equal(Migrator.Scripts(DatabaseProvider.Sqlite).Select(m => m.Name), Migrator.Scripts(DatabaseProvider.Postgres).Select(m => m.Name));
    }
}
