using Immunise.Audit;
using Immunise.Tests.Web;
using Immunise.WaitingRoom;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.WaitingRoom;

/// <summary>Web apps with the waiting room under the test's control.</summary>
public static class QueueApps
{
    /// <summary>Ticks run by the test (after moving the clock), counters read on every request, many tickets from one address.</summary>
    public static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["WaitingRoom:RunAdmissions"] = "false",
        ["WaitingRoom:CacheInterval"] = "00:00:00",
        ["WaitingRoom:TicketsPerClientPerMinute"] = "1000000",
        ["Staff:SignInAttemptsPerWindow"] = "100000",
    };

    public static async Task SwitchOnAsync(ImmuniseApp app, int ratePerMinute, int maxActive = 0, string mode = WaitingRoomModes.On)
    {
        var changed = await app.Services.GetRequiredService<ChangeWaitingRoom>()
            .HandleAsync(new WaitingRoomChange(mode, RatePerMinute: ratePerMinute, MaxActive: maxActive), Actor.System("test"));
        Assert.True(changed.Succeeded, changed.Failure?.ToString());
    }

    /// <summary>One second on, and a tick (run here rather than by the worker, so the test knows when).</summary>
    public static async Task TickAsync(ImmuniseApp app)
    {
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await app.Services.GetRequiredService<AdmitVisitors>().TickAsync()).Claimed);
    }
}
