using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Bench;

/// <summary>Fresh, migrated databases for a benchmark: a SQLite file, or a database on a durable throwaway PostgreSQL cluster.</summary>
public static class Databases
{
    private static readonly Lazy<PostgresCluster> s_cluster = new(() =>
    {
        var cluster = new PostgresCluster(durable: true);
        Workspace.OnCleanup(cluster.Dispose);
        return cluster;
    });

    public static async Task<DatabaseOptions> CreateAsync(string kind, string name)
    {
        DatabaseOptions options;
        if (kind == "postgres")
        {
            s_cluster.Value.Execute($"CREATE DATABASE {name}");
            options = new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = s_cluster.Value.ConnectionStringFor(name) };
        }
        else
        {
            options = new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(Workspace.Root, name + ".db")}" };
        }

        await using var database = new Database(options);
        await new Migrator(database).MigrateAsync();
        return options;
    }
}
