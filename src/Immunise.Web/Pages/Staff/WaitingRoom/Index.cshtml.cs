using System.Globalization;
using Immunise.Records;
using Immunise.Staff;
using Immunise.Web.Staff;
using Immunise.WaitingRoom;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.WaitingRoom;

/// <summary>
/// The waiting room for national administrators: live figures, and the controls — off, on or automatic, the rate and the
/// maximum of active visitors, pause and resume, schedule or cancel an opening (Europe/London time). Every change is audited.
/// </summary>
[StaffAccess(StaffScope.National, StaffRole.NationalAdministrator)]
public sealed class IndexModel(WaitingRoomFigures figures, ChangeWaitingRoom change, ILogger<IndexModel> logger) : StaffPage
{
    [BindProperty]
    public string? Mode { get; set; }

    [BindProperty]
    public string? RatePerMinute { get; set; }

    [BindProperty]
    public string? MaxActive { get; set; }

    [BindProperty]
    public string? OpensDay { get; set; }

    [BindProperty]
    public string? OpensMonth { get; set; }

    [BindProperty]
    public string? OpensYear { get; set; }

    [BindProperty]
    public string? OpensTime { get; set; }

    [FromQuery]
    public string? Saved { get; set; }

    public WaitingRoomFiguresResult? Figures { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(fillForm: true, cancellationToken);
    }

    public async Task<IActionResult> OnPostSettingsAsync(CancellationToken cancellationToken)
    {
        var rate = ReadWhole("ratePerMinute", RatePerMinute, "Enter the rate as a whole number of people per minute, like 500.");
        var max = ReadWhole("maxActive", MaxActive, "Enter the maximum as a whole number of visitors, like 2000 (0 for no maximum).");
        if (Mode is null || !WaitingRoomModes.All.Contains(Mode))
        {
            AddError("mode", "Select whether the waiting room is off, on or automatic.");
        }

        return Errors.Count > 0
            ? await AgainAsync(cancellationToken)
            : await ApplyAsync(new WaitingRoomChange(Mode, RatePerMinute: rate, MaxActive: max), "settings", cancellationToken);
    }

    public Task<IActionResult> OnPostPauseAsync(CancellationToken cancellationToken) =>
        ApplyAsync(new WaitingRoomChange(Paused: true), "paused", cancellationToken);

    public Task<IActionResult> OnPostResumeAsync(CancellationToken cancellationToken) =>
        ApplyAsync(new WaitingRoomChange(Paused: false), "resumed", cancellationToken);

    public async Task<IActionResult> OnPostOpeningAsync(CancellationToken cancellationToken)
    {
        var day = ReadDate("opensAt", OpensDay, OpensMonth, OpensYear, "The opening date");
        TimeOnly? time = TimeOnly.TryParseExact(OpensTime?.Trim(), ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;
        if (time is null)
        {
            AddError("opensTime", "Enter the opening time in 24-hour format, like 09:00.");
        }

        if (Errors.Count > 0)
        {
            return await AgainAsync(cancellationToken);
        }

        var local = day!.Value.ToDateTime(time!.Value);
        if (London.Zone.IsInvalidTime(local))
        {
            AddError("opensTime", "That time does not exist in the UK on that day (the clocks go forward). Choose another.");
            return await AgainAsync(cancellationToken);
        }

        var opensAt = new DateTimeOffset(local, London.Zone.GetUtcOffset(local)).ToUniversalTime();
        return await ApplyAsync(new WaitingRoomChange(OpensAt: opensAt), "opening", cancellationToken);
    }

    public Task<IActionResult> OnPostCancelOpeningAsync(CancellationToken cancellationToken) =>
        ApplyAsync(new WaitingRoomChange(CancelOpening: true), "opening-cancelled", cancellationToken);

    private async Task<IActionResult> ApplyAsync(WaitingRoomChange request, string saved, CancellationToken cancellationToken)
    {
        var result = await change.HandleAsync(request, Actor, cancellationToken);
        if (!result.Succeeded)
        {
            var failure = result.Failure!;
            AddError(failure);
            return await AgainAsync(cancellationToken);
        }

        WaitingRoomLog.Changed(logger, StaffId, ChangeWaitingRoom.Describe(result.Value!));
        return RedirectToPage(new { saved });
    }

    private async Task<IActionResult> AgainAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(fillForm: false, cancellationToken);
        return PageWithErrors();
    }

    private async Task LoadAsync(bool fillForm, CancellationToken cancellationToken)
    {
        Figures = await figures.GetAsync(cancellationToken);
        if (fillForm)
        {
            var c = Figures.Counters;
            Mode = c.Mode;
            RatePerMinute = c.RatePerMinute.ToString(CultureInfo.InvariantCulture);
            MaxActive = c.MaxActive.ToString(CultureInfo.InvariantCulture);
            OpensTime = "09:00";
        }
    }

    private int? ReadWhole(string field, string? text, string message)
    {
        if (int.TryParse(text?.Trim().Replace(",", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        AddError(field, message);
        return null;
    }

    public static string Minutes(double? minutes) => minutes is { } m ? QueueRules.DescribeWait(m) : "–";

    public static string PerMinute(double value) => value.ToString("N1", CultureInfo.InvariantCulture);

    public static string Count(long value) => QueueRules.Number(value);

    public string ModeText => Figures?.Counters.Mode switch
    {
        WaitingRoomModes.On => "On",
        WaitingRoomModes.Automatic => Figures.IsActive ? "Automatic: on now (arrivals went over the rate)" : "Automatic: off now (on when arrivals go over the rate)",
        _ => "Off",
    };

    public string SavedText => Saved switch
    {
        "settings" => "Settings saved.",
        "paused" => "Admissions paused. People keep their places.",
        "resumed" => "Admissions resumed.",
        "opening" => "Opening scheduled. Everyone who joins before it gets a place in a random order when it comes.",
        "opening-cancelled" => "Opening cancelled.",
        _ => "",
    };
}
