using Dapper;
using Immunise.Audit;
using Immunise.People;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Register;

public sealed class AuditLogTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WriteAsync_ManyAtOnce_EachIsCommittedWhenItsTaskCompletes(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var audit = new AuditLog(db.Database, new FixedClock(DateTimeOffset.UnixEpoch.AddYears(56)));
        var nhs = NhsNumber.Parse("9990000018");

        var writes = Enumerable.Range(0, 300)
            .Select(i => audit.WriteAsync(new AuditEntry(Actor.ApiKey($"key-{i % 3}"), "person.read", nhs, "Person", nhs.Value, CorrelationId: $"c{i}")))
            .ToArray();
        await Task.WhenAll(writes);

        await using var connection = await db.Database.OpenAsync();
        var stored = (await connection.QueryAsync<string>("SELECT correlation_id FROM audit_events WHERE nhs_number = @n", new { n = nhs.Value })).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"c{i}").ToHashSet(), stored);
        Assert.Equal(100, (await audit.ForPersonAsync(nhs, limit: 100)).Count);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WriteAsync_WhenTheDatabaseRefuses_FailsTheCallerInsteadOfLosingTheEntry(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var audit = new AuditLog(db.Database, TimeProvider.System);
        await using (var connection = await db.Database.OpenAsync())
        {
            await connection.ExecuteAsync("DROP TABLE audit_events");
        }

        var write = audit.WriteAsync(new AuditEntry(Actor.System("test"), "person.read"));

        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => write);
    }
}
