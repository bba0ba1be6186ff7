using Immunise.Access;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Access;

public sealed class ApiKeysEnsureTests
{
    private const string DemoKey = "imm_demo00000000_aTestSecretOfAtLeastThirtyTwoCharacters0000";

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task EnsureAsync_StoresAGivenKeyOnce_AndItVerifies(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var keys = new ApiKeys(db.Database, new FixedClock(new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero)));

        var first = await keys.EnsureAsync("demo", DemoKey, [Scopes.RecordsRead, Scopes.RecordsWrite]);
        var second = await keys.EnsureAsync("demo", DemoKey, [Scopes.RecordsRead]);
        var client = await keys.VerifyAsync(DemoKey);

        Assert.True(first.Value);
        Assert.False(second.Value);
        Assert.Equal("demo", client?.Name);
        Assert.True(client!.Has(Scopes.RecordsWrite));
        Assert.Null(await keys.VerifyAsync(DemoKey[..^1] + "1"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task EnsureAsync_MalformedKey_IsRefused(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var keys = new ApiKeys(db.Database, TimeProvider.System);

        var tooShort = await keys.EnsureAsync("demo", "imm_demo_short", [Scopes.RecordsRead]);
        var noPrefix = await keys.EnsureAsync("demo", "key_demo00000000_aTestSecretOfAtLeastThirtyTwoCharacters0000", [Scopes.RecordsRead]);

        Assert.Equal("invalid-key", tooShort.Failure?.Code);
        Assert.Equal("invalid-key", noPrefix.Failure?.Code);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task VerifyAsync_KeyTriedBeforeItExisted_WorksAsSoonAsItIsStored(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var keys = new ApiKeys(db.Database, new FixedClock(DateTimeOffset.UnixEpoch.AddYears(56)));

        var before = await keys.VerifyAsync(DemoKey);
        await keys.EnsureAsync("demo", DemoKey, [Scopes.RecordsRead]);
        var after = await keys.VerifyAsync(DemoKey);
        var wrongSecret = await keys.VerifyAsync(DemoKey[..^1] + (DemoKey[^1] == 'A' ? 'B' : 'A'));

        Assert.Null(before);
        Assert.Equal("demo", after?.Name);
        Assert.Null(wrongSecret);
    }
}
