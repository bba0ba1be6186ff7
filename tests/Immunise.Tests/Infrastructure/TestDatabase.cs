using Immunise.Storage;
using Microsoft.Data.Sqlite;

namespace Immunise.Tests.Infrastructure;

/// <summary>
/// A fresh, migrated database of either kind that belongs to one test: a temporary SQLite file, or a new database on the
/// shared PostgreSQL cluster cloned from a migrated template. Disposing removes it.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static readonly Lazy<string> s_postgresTemplate = new(CreatePostgresTemplate, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string> s_sqliteTemplate = new(CreateSqliteTemplate, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string _name;

    private TestDatabase(DatabaseProvider provider, string name, string connectionString)
    {
        Provider = provider;
        _name = name;
        ConnectionString = connectionString;
        Options = new DatabaseOptions { Provider = provider, ConnectionString = connectionString };
        Database = new Database(Options);
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    public DatabaseOptions Options { get; }

    public Database Database { get; }

    /// <summary>Creates a migrated database (schema and reference data), empty of people.</summary>
    public static Task<TestDatabase> CreateAsync(DatabaseProvider provider)
    {
        var name = $"t_{Guid.NewGuid():N}";
        if (provider == DatabaseProvider.Postgres)
        {
            PostgresCluster.Shared.Execute($"CREATE DATABASE {name} TEMPLATE {s_postgresTemplate.Value}");
            return Task.FromResult(new TestDatabase(provider, name, PostgresCluster.Shared.ConnectionStringFor(name)));
        }

        var path = Path.Combine(Path.GetTempPath(), $"immunise-{name}.db");
        File.Copy(s_sqliteTemplate.Value, path);
        return Task.FromResult(new TestDatabase(provider, path, $"Data Source={path}"));
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        if (Provider == DatabaseProvider.Postgres)
        {
            PostgresCluster.Shared.Execute($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
        }
        else
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(_name + suffix);
            }

            try
            {
                Directory.Delete(_name + ".audit", recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // never made, or removed by the audit log's own shutdown meanwhile
            }
        }
    }

    private static string CreatePostgresTemplate()
    {
        var cluster = PostgresCluster.Shared;
        var name = "immunise_template";
        cluster.Execute($"DROP DATABASE IF EXISTS {name}");
        cluster.Execute($"CREATE DATABASE {name}");
        Migrate(new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = cluster.ConnectionStringFor(name) + ";Pooling=false" });
        return name;
    }

    private static string CreateSqliteTemplate()
    {
        var path = Path.Combine(Path.GetTempPath(), $"immunise-template-{Environment.ProcessId}-{Guid.NewGuid():N}.db");
        Migrate(new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={path};Pooling=false" });
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(path + suffix);
            }
        };
        return path;
    }

    private static void Migrate(DatabaseOptions options)
    {
        var database = new Database(options);
        try
        {
            new Migrator(database).MigrateAsync().GetAwaiter().GetResult();
        }
        finally
        {
            database.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}

/// <summary>Theory data: every data-access test runs on both databases.</summary>
public sealed class BothDatabases : TheoryData<DatabaseProvider>
{
    public BothDatabases()
    {
        Add(DatabaseProvider.Sqlite);
        Add(DatabaseProvider.Postgres);
    }
}
