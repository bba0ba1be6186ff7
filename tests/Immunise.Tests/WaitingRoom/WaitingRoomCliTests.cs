using System.Text.Json;
using Dapper;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.WaitingRoom;

/// <summary><c>immunise waiting-room status</c> and <c>rotate-key</c> against a real database of each kind.</summary>
public sealed class WaitingRoomCliTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Status_AfterTicketsAreTaken_PrintsTheFigures(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 120);
        await room.TicketsAsync(7);

        var (code, output, _) = await RunAsync(room.Database, "waiting-room", "status");
        var (jsonCode, json, _) = await RunAsync(room.Database, "waiting-room", "status", "--json");

        Assert.Equal((0, 0), (code, jsonCode));
        Assert.Contains("Waiting room: on (active); rate 120/min", output, StringComparison.Ordinal);
        Assert.Contains("Numbers: last given 7, serving 0; waiting 7 (", output, StringComparison.Ordinal);
        using var figures = JsonDocument.Parse(json);
        Assert.Equal(7, figures.RootElement.GetProperty("waiting").GetInt64());
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RotateKey_AddsTheNextKey(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider); // makes key 1

        var (code, output, _) = await RunAsync(room.Database, "waiting-room", "rotate-key");

        Assert.Equal(0, code);
        Assert.Contains("Signing key 2 added", output, StringComparison.Ordinal);
        await using var connection = await room.Database.Database.OpenAsync();
        Assert.Equal([1L, 2L], await connection.QueryAsync<long>("SELECT id FROM waiting_room_keys ORDER BY id"));
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(TestDatabase db, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Immunise.Cli.Cli.RunAsync(
            [.. args, "--database", db.Provider == DatabaseProvider.Postgres ? "postgres" : "sqlite", "--connection-string", db.ConnectionString],
            output, error);
        return (code, output.ToString(), error.ToString());
    }
}
