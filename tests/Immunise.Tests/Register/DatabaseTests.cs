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

    [Fact]
    public async Task WriteTurn_Sqlite_WritesRunOnOneKeptConnectionWhoseStatementsStayPrepared()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        const string insert = "INSERT INTO idempotency_keys (client_id, key, operation, request_hash, created_at) VALUES (@client, @key, 'test', 'h', '2026-01-01T00:00:00Z')";
        var handles = new List<SQLitePCL.sqlite3>();
        for (var turnNumber = 0; turnNumber < 3; turnNumber++)
        {
            using var turn = await db.Database.WriteTurnAsync();
            await using var connection = await turn.OpenAsync();
            if (turnNumber == 0)
            {
                // SQLitePCL lists a connection's statements only when asked before any is prepared.
                ((SqliteWriterConnection)connection).Underlying.Handle!.enable_sqlite3_next_stmt(true);
            }

            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync(new CommandDefinition(insert, new { client = "c", key = $"k{turnNumber}" }, transaction));
            await transaction.CommitAsync();
            handles.Add(((SqliteWriterConnection)connection).Underlying.Handle!);
        }

        Assert.Single(handles.Distinct());
        Assert.Equal(1, PreparedStatements(handles[0]).Count(sql => sql == insert));
        await using var check = await db.Database.OpenAsync();
        Assert.Equal(3, await check.ExecuteScalarAsync<int>("SELECT count(*) FROM idempotency_keys WHERE client_id = 'c'"));
    }

    [Fact]
    public async Task WriteTurn_Sqlite_ATransactionLeftOpenIsRolledBackAndTheNextTurnGetsAFreshConnection()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        Microsoft.Data.Sqlite.SqliteConnection first;
        using (var turn = await db.Database.WriteTurnAsync())
        {
            await using var connection = await turn.OpenAsync();
            first = ((SqliteWriterConnection)connection).Underlying;
            var abandoned = await connection.BeginTransactionAsync(); // never committed nor disposed: a bug the session survives
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO idempotency_keys (client_id, key, operation, request_hash, created_at) VALUES ('c', 'lost', 'test', 'h', '2026-01-01T00:00:00Z')",
                transaction: abandoned));
        }

        using (var turn = await db.Database.WriteTurnAsync())
        {
            await using var connection = await turn.OpenAsync();
            Assert.NotSame(first, ((SqliteWriterConnection)connection).Underlying);
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO idempotency_keys (client_id, key, operation, request_hash, created_at) VALUES ('c', 'kept', 'test', 'h', '2026-01-01T00:00:00Z')",
                transaction: transaction));
            await transaction.CommitAsync();
        }

        await using var check = await db.Database.OpenAsync();
        Assert.Equal(["kept"], await check.QueryAsync<string>("SELECT key FROM idempotency_keys WHERE client_id = 'c'"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WriteTurn_ACommandsParametersMayBeAddedBeforeItsText(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        using var turn = await db.Database.WriteTurnAsync();
        await using var connection = await turn.OpenAsync();
        await using var command = connection.CreateCommand();
        var parameter = command.CreateParameter();
        parameter.ParameterName = "value";
        parameter.Value = 41;
        command.Parameters.Add(parameter);
        command.CommandText = "SELECT @value + 1";

        Assert.Equal(42L, Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    private static List<string> PreparedStatements(SQLitePCL.sqlite3 handle)
    {
        var found = new List<string>();
        for (var statement = SQLitePCL.raw.sqlite3_next_stmt(handle, null); statement is not null && !statement.IsInvalid;
             statement = SQLitePCL.raw.sqlite3_next_stmt(handle, statement))
        {
            found.Add(SQLitePCL.raw.sqlite3_sql(statement).utf8_to_string());
        }

        return found;
    }
}
