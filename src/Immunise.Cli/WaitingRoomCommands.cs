using System.CommandLine;
using System.Globalization;
using Immunise.Storage;
using Immunise.WaitingRoom;

namespace Immunise.Cli;

/// <summary>
/// <c>immunise waiting-room status</c> (the waiting room's settings and live figures, as on the administrators' page) and
/// <c>immunise waiting-room rotate-key</c> (a new key signs tickets and admission tokens from now on; older ones stay valid).
/// </summary>
internal static class WaitingRoomCommands
{
    public static Command Command(Func<ParseResult, CancellationToken, Task<Database>> open, Func<ParseResult, CliReporter> reporter)
    {
        var status = new Command("status", "The waiting room's settings and live figures");
        status.SetAction(async (parse, cancellationToken) =>
        {
            var report = reporter(parse);
            await using var database = await open(parse, cancellationToken);
            var f = await new WaitingRoomFigures(database, new WaitingRoomOptions(), TimeProvider.System).GetAsync(cancellationToken);
            var c = f.Counters;
            if (report.Json)
            {
                report.WriteJson(new
                {
                    c.Mode, f.IsActive, c.Paused, c.RatePerMinute, c.MaxActive, c.OpensAt, c.LastSequence, c.Serving, f.Waiting, f.StillPolling, f.Pending,
                    f.ServingPerMinute, f.AdmittedPerMinute, f.ArrivalsPerMinute, f.Active, f.AbandonedLastHour, f.AbandonedTotal, f.AdmittedTotal,
                    f.EstimatedWaitMinutes, f.RecentWaitMinutes,
                });
                return Cli.Success;
            }

            string Number(double value) => value.ToString("N1", CultureInfo.InvariantCulture);
            report.Line($"Waiting room: {c.Mode}{(f.IsActive ? " (active)" : "")}{(c.Paused ? ", admissions paused" : "")}; rate {c.RatePerMinute}/min; maximum active {(c.MaxActive == 0 ? "none" : c.MaxActive.ToString(CultureInfo.InvariantCulture))}");
            report.Line($"Opening: {(c.OpensAt is { } at ? Instant.Format(at) : "none scheduled")}; waiting for it: {f.Pending:N0}");
            report.Line($"Numbers: last given {c.LastSequence:N0}, serving {c.Serving:N0}; waiting {f.Waiting:N0} ({f.StillPolling:N0} still polling)");
            report.Line($"Per minute: admitted {Number(f.AdmittedPerMinute)}, queue moving {Number(f.ServingPerMinute)}, arrivals {Number(f.ArrivalsPerMinute)}; active now {f.Active:N0}");
            report.Line($"Abandoned: {f.AbandonedLastHour:N0} in the last hour, {f.AbandonedTotal:N0} in all; admitted in all {f.AdmittedTotal:N0}");
            report.Line($"Wait for someone joining now: {(f.EstimatedWaitMinutes is { } e ? QueueRules.DescribeWait(e) : "-")}; recent admissions waited {(f.RecentWaitMinutes is { } r ? QueueRules.DescribeWait(r) : "-")}");
            return Cli.Success;
        });

        var rotate = new Command("rotate-key", "Add a signing key that signs tickets and admission tokens from now on (those already given stay valid)");
        rotate.SetAction(async (parse, cancellationToken) =>
        {
            var report = reporter(parse);
            await using var database = await open(parse, cancellationToken);
            var id = await new SigningKeys(database, new WaitingRoomOptions(), TimeProvider.System).RotateAsync(cancellationToken);
            if (report.Json)
            {
                report.WriteJson(new { keyId = id });
            }
            else
            {
                report.Line($"Signing key {id} added. Every node checks it within a minute and signs with it after {SigningKeys.ActivationDelay.TotalMinutes:N0} minutes; tickets and tokens already given stay valid.");
            }

            return Cli.Success;
        });

        var command = new Command("waiting-room", "The waiting room in front of booking: live figures and signing keys (settings: /staff/waiting-room or PUT /api/v1/waiting-room)");
        command.Subcommands.Add(status);
        command.Subcommands.Add(rotate);
        return command;
    }
}
