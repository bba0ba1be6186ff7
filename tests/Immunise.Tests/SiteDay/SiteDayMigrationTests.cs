using System.Data.Common;
using Dapper;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Immunise.Tests.SiteDay;

/// <summary>
/// Migration 0007 over a database that already holds bookings (migrated to 0006 first): on SQLite the bookings table is
/// rebuilt, so every row, the links between doses, the foreign keys and the unique index must come through; on PostgreSQL
/// the check constraint is replaced. Both then accept the new statuses and refuse unknown ones.
/// </summary>
public sealed class SiteDayMigrationTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Migration0007_OverExistingBookings_KeepsThemAndAllowsTheDaysStatuses(DatabaseProvider provider)
    {
        var name = $"m_{Guid.NewGuid():N}";
        var path = Path.Combine(Path.GetTempPath(), $"immunise-{name}.db");
        var options = provider == DatabaseProvider.Postgres
            ? new DatabaseOptions { Provider = provider, ConnectionString = PostgresCluster.Shared.ConnectionStringFor(name) }
            : new DatabaseOptions { Provider = provider, ConnectionString = $"Data Source={path}" };
        if (provider == DatabaseProvider.Postgres)
        {
            PostgresCluster.Shared.Execute($"CREATE DATABASE {name}");
        }

        try
        {
            await using var database = new Database(options);
            await using (var connection = await database.OpenSessionAsync())
            {
                await connection.ExecuteAsync("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)");
                foreach (var migration in Migrator.Scripts(provider).Where(m => m.Version < 7))
                {
                    await using var transaction = await connection.BeginTransactionAsync();
                    await connection.ExecuteAsync(migration.Sql, transaction: transaction);
                    await connection.ExecuteAsync("INSERT INTO schema_migrations VALUES (@Version, @Name, 'then')", migration, transaction);
                    await transaction.CommitAsync();
                }

                await SeedBookingsAsync(connection);
            }

            var applied = await new Migrator(database).MigrateAsync();

            Assert.Equal(Migrator.Scripts(provider).Where(m => m.Version >= 7).Select(m => m.Version), applied.Select(m => m.Version));
            await using var after = await database.OpenAsync();
            var rows = (await after.QueryAsync<(string Id, string Reference, string? FirstDoseId, string Status, string? Mobile)>(
                "SELECT id, reference, first_dose_id, status, mobile FROM bookings ORDER BY id")).ToList();
            Assert.Equal([("b1", "ACDEFGHJ", null, "booked", "07700900001"), ("b2", "ACDEFGHK", "b1", "booked", null), ("b3", "ACDEFGHM", null, "cancelled", null)], rows);
            await after.ExecuteAsync("UPDATE bookings SET status = 'checked-in', checked_in_at = updated_at, checked_in_by = 'staff-1' WHERE id = 'b1'");
            await after.ExecuteAsync("UPDATE bookings SET status = 'did-not-attend', closed_at = updated_at, closed_by = 'system:did-not-attend' WHERE id = 'b2'");
            await Assert.ThrowsAnyAsync<DbException>(() => after.ExecuteAsync("UPDATE bookings SET status = 'lost' WHERE id = 'b3'"));
            await Assert.ThrowsAnyAsync<DbException>(() => after.ExecuteAsync("UPDATE bookings SET first_dose_id = 'no-such-booking' WHERE id = 'b3'"));
            var duplicate = await Assert.ThrowsAnyAsync<DbException>(() => after.ExecuteAsync(
                """
                INSERT INTO bookings (id, reference, nhs_number, programme, service, dose_number, slot_id, site_ods_code, status, created_at, created_by, updated_at)
                SELECT 'b4', 'ACDEFGHN', nhs_number, programme, service, dose_number, slot_id, site_ods_code, 'booked', created_at, created_by, updated_at FROM bookings WHERE id = 'b1'
                """));
            Assert.True(UniqueViolation.Is(duplicate), "a checked-in booking is still the person's active booking for the dose");
            Assert.Equal(1L, await after.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bookings WHERE first_dose_id = 'b1'"));
        }
        finally
        {
            if (provider == DatabaseProvider.Postgres)
            {
                PostgresCluster.Shared.Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            }
            else
            {
                SqliteConnection.ClearAllPools();
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                {
                    File.Delete(path + suffix);
                }
            }
        }
    }

    private static async Task SeedBookingsAsync(DbConnection connection)
    {
        var now = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        await connection.ExecuteAsync(
            """
            INSERT INTO people (nhs_number, given_name, family_name, date_of_birth, sex, postcode, created_at, updated_at)
            VALUES ('9434765919', 'Sarah', 'Taylor', @born, 'female', 'LS1 4AP', @now, @now)
            """,
            new { born = new DateOnly(1940, 1, 1), now });
        await connection.ExecuteAsync(
            """
            INSERT INTO sites (ods_code, name, site_type, address, postcode, latitude, longitude, accessibility, services, products, status, created_at, updated_at)
            VALUES ('LEEDS1', 'Site', 'gp-led', '1 Street', 'LS1 4AP', 53.8, -1.5, '', 'COVID:18+', '', 'online', @now, @now)
            """,
            new { now });
        await connection.ExecuteAsync(
            """
            INSERT INTO sessions (id, site_ods_code, session_date, start_time, end_time, slot_minutes, capacity, services, status, created_at, updated_at)
            VALUES ('s1', 'LEEDS1', @day, '13:00', '14:00', 60, 3, 'COVID:18+', 'active', @now, @now)
            """,
            new { day = new DateOnly(2026, 11, 20), now });
        await connection.ExecuteAsync(
            "INSERT INTO slots (session_id, site_ods_code, slot_date, start_time, starts_at, ends_at, capacity, booked) VALUES ('s1', 'LEEDS1', @day, '13:00', @now, @now, 3, 2)",
            new { day = new DateOnly(2026, 11, 20), now });
        var slot = await connection.ExecuteScalarAsync<long>("SELECT id FROM slots");
        foreach (var (id, reference, dose, firstDose, status, mobile) in new[]
        {
            ("b1", "ACDEFGHJ", 1, (string?)null, "booked", (string?)"07700900001"),
            ("b2", "ACDEFGHK", 2, "b1", "booked", null),
            ("b3", "ACDEFGHM", 3, null, "cancelled", null),
        })
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO bookings (id, reference, nhs_number, programme, service, dose_number, first_dose_id, slot_id, site_ods_code, status, mobile,
                    created_at, created_by, confirmed_at, updated_at)
                VALUES (@id, @reference, '9434765919', 'COVID19', 'COVID:18+', @dose, @firstDose, @slot, 'LEEDS1', @status, @mobile, @now, 'test', @now, @now)
                """,
                new { id, reference, dose, firstDose, slot, status, mobile, now });
        }
    }
}
