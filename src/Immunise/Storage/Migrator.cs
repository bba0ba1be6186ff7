using System.Data.Common;
using System.Reflection;
using Dapper;
using Immunise.Geography;
using Immunise.Vaccines;

namespace Immunise.Storage;

public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Applies the numbered, forward-only migration scripts for the database's dialect
/// (<c>Storage/Migrations/{sqlite,postgres}/NNNN_name.sql</c>), then brings the shipped reference data
/// (regions, ICBs, vaccine products) up to date. Safe to run from several nodes at once.
/// </summary>
public sealed class Migrator(Database database)
{
    private const long PostgresLockKey = 7_262_021; // any constant shared by every node

    public static IReadOnlyList<Migration> Scripts(DatabaseProvider provider)
    {
        var folder = provider == DatabaseProvider.Postgres ? "postgres" : "sqlite";
        var prefix = $"Immunise.Storage.Migrations.{folder}.";
        var assembly = typeof(Migrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => ToMigration(assembly, n, n[prefix.Length..^4]))
            .OrderBy(m => m.Version)
            .ToList();
    }

    /// <summary>Applies what is missing; returns the migrations applied now.</summary>
    public async Task<IReadOnlyList<Migration>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenSessionAsync(cancellationToken); // the advisory lock lives in the session
        if (database.Dialect.IsPostgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = PostgresLockKey });
        }

        try
        {
            await connection.ExecuteAsync(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at text NOT NULL
                )
                """);

            var applied = new List<Migration>();
            foreach (var migration in Scripts(database.Provider))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var done = await connection.ExecuteScalarAsync<int>(
                    "SELECT COUNT(*) FROM schema_migrations WHERE version = @Version", new { migration.Version }, transaction);
                if (done == 0)
                {
                    await connection.ExecuteAsync(migration.Sql, transaction: transaction);
                    await connection.ExecuteAsync(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                        new { migration.Version, migration.Name, AppliedAt = Instant.Format(DateTimeOffset.UtcNow) },
                        transaction);
                    applied.Add(migration);
                }

                await transaction.CommitAsync(cancellationToken);
            }

            await SyncReferenceDataAsync(connection, cancellationToken);
            return applied;
        }
        finally
        {
            if (database.Dialect.IsPostgres)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = PostgresLockKey });
            }
        }
    }

    /// <summary>The versions already applied, in order.</summary>
    public async Task<IReadOnlyList<int>> AppliedAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            return (await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
        }
        catch (DbException)
        {
            return [];
        }
    }

    private static async Task SyncReferenceDataAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var geography = ReferenceGeography.Default;
        await connection.ExecuteAsync(
            """
            INSERT INTO regions (ods_code, ons_code, name) VALUES (@OdsCode, @OnsCode, @Name)
            ON CONFLICT (ods_code) DO UPDATE SET ons_code = excluded.ons_code, name = excluded.name
            """,
            geography.Regions, transaction);
        await connection.ExecuteAsync(
            """
            INSERT INTO icbs (ods_code, ons_code, name, region_ods_code) VALUES (@OdsCode, @OnsCode, @Name, @RegionOdsCode)
            ON CONFLICT (ods_code) DO UPDATE SET ons_code = excluded.ons_code, name = excluded.name,
                region_ods_code = excluded.region_ods_code
            """,
            geography.Icbs, transaction);
        await connection.ExecuteAsync(
            """
            INSERT INTO vaccine_products (code, name, short_name, manufacturer, target_disease, minimum_age_months,
                doses_in_primary_course, minimum_interval_days, maximum_interval_days)
            VALUES (@Code, @Name, @ShortName, @Manufacturer, @Target, @MinimumAgeMonths,
                @DosesInPrimaryCourse, @MinimumIntervalDays, @MaximumIntervalDays)
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, short_name = excluded.short_name,
                manufacturer = excluded.manufacturer, target_disease = excluded.target_disease,
                minimum_age_months = excluded.minimum_age_months, doses_in_primary_course = excluded.doses_in_primary_course,
                minimum_interval_days = excluded.minimum_interval_days, maximum_interval_days = excluded.maximum_interval_days
            """,
            VaccineCatalogue.Default.Products, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    private static Migration ToMigration(Assembly assembly, string resource, string fileName)
    {
        var underscore = fileName.IndexOf('_', StringComparison.Ordinal);
        var version = int.Parse(fileName.AsSpan(0, underscore), System.Globalization.CultureInfo.InvariantCulture);
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return new Migration(version, fileName[(underscore + 1)..], reader.ReadToEnd());
    }
}
