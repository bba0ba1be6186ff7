using Dapper;
using Immunise.Audit;
using Immunise.People;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Register;

public sealed class AuditLogTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WriteAsync_ManyAtOnce_EachIsInTheTrailOnceAndAQueryAfterAFlushSeesThemAll(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var audit = new AuditLog(db.Database, new FixedClock(DateTimeOffset.UnixEpoch.AddYears(56)));
        var nhs = NhsNumber.Parse("9990000018");

        var writes = Enumerable.Range(0, 300)
            .Select(i => audit.WriteAsync(new AuditEntry(Actor.ApiKey($"key-{i % 3}"), "person.read", nhs, "Person", nhs.Value, CorrelationId: $"c{i}")))
            .ToArray();
        await Task.WhenAll(writes);
        await audit.FlushAsync();

        await using var connection = await db.Database.OpenAsync();
        var stored = (await connection.QueryAsync<string>("SELECT correlation_id FROM audit_events WHERE nhs_number = @n", new { n = nhs.Value })).ToList();
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"c{i}").Order(), stored.Order());
        Assert.Equal(100, (await audit.ForPersonAsync(nhs, limit: 100)).Count);
    }

    [Fact]
    public async Task WriteAsync_OnPostgresWhenTheDatabaseRefuses_FailsTheCallerInsteadOfLosingTheEntry_ThenWritesAgain()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var audit = new AuditLog(db.Database, TimeProvider.System);
        var nhs = NhsNumber.Parse("9990000018");
        await audit.WriteAsync(new AuditEntry(Actor.System("test"), "person.read", nhs, CorrelationId: "before"));
        await using var connection = await db.Database.OpenAsync();
        await connection.ExecuteAsync("ALTER TABLE audit_events RENAME TO audit_events_away");

        var refused = audit.WriteAsync(new AuditEntry(Actor.System("test"), "person.read", nhs, CorrelationId: "refused"));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => refused);

        // The writer's kept connection and prepared insert are made afresh after the failure.
        await connection.ExecuteAsync("ALTER TABLE audit_events_away RENAME TO audit_events");
        await audit.WriteAsync(new AuditEntry(Actor.System("test"), "person.read", nhs, CorrelationId: "after"));
        Assert.Equal(["after", "before"], (await connection.QueryAsync<string>("SELECT correlation_id FROM audit_events WHERE nhs_number = @n", new { n = nhs.Value })).Order());
    }

    [Fact]
    public async Task WriteAsync_OnSqliteWhenTheTableRefuses_KeepsTheLineInTheJournalUntilItCanBeMoved()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var audit = new AuditLog(db.Database, TimeProvider.System);
        var nhs = NhsNumber.Parse("9990000018");
        await using var connection = await db.Database.OpenAsync();
        await connection.ExecuteAsync("ALTER TABLE audit_events RENAME TO audit_events_away");

        await audit.WriteAsync(new AuditEntry(Actor.System("test"), "person.read", nhs, CorrelationId: "kept"));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => audit.FlushAsync());

        await connection.ExecuteAsync("ALTER TABLE audit_events_away RENAME TO audit_events");
        await audit.FlushAsync();
        Assert.Equal(["kept"], await connection.QueryAsync<string>("SELECT correlation_id FROM audit_events WHERE nhs_number = @n", new { n = nhs.Value }));
    }
}

public sealed class AuditedWriteTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordVaccination_WithAuditLine_CommitsTheLineWithTheEventAndNoneWhenRefused(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var clock = new FixedClock(s_now);
        await using var audit = new AuditLog(db.Database, clock);
        var nhs = NhsNumber.Parse("9434765919");
        await using (var connection = await db.Database.OpenAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO people (nhs_number, given_name, family_name, date_of_birth, sex, postcode, care_home_resident, created_at, updated_at)
                VALUES (@nhs, 'Sarah', 'Taylor', @dob, 'female', 'EC1A 1BB', @no, @now, @now)
                """,
                new { nhs = nhs.Value, dob = new DateOnly(1965, 2, 28), no = false, now = s_now });
        }

        var record = new Immunise.Records.RecordVaccination(db.Database, clock, Immunise.Vaccines.VaccineCatalogue.Default, audit);
        var request = new Immunise.Records.RecordVaccinationRequest(nhs.Value, "39115611000001103", s_now.AddDays(-1), "B87008");
        AuditEntry Describe(Immunise.Records.VaccinationEvent e) => new(Actor.ApiKey("gp-system"), "vaccination.recorded", e.NhsNumber, "VaccinationEvent", e.Id);

        var recorded = await record.HandleAsync(request, "gp-system", Describe);
        var duplicate = await record.HandleAsync(request, "gp-system", Describe);

        Assert.True(recorded.Succeeded);
        Assert.Equal("duplicate-vaccination", duplicate.Failure?.Code);
        var lines = await audit.ForPersonAsync(nhs);
        var line = Assert.Single(lines);
        Assert.Equal(("vaccination.recorded", recorded.Value!.Id, "gp-system"), (line.Action, line.ResourceId, line.ActorId));
    }
}
