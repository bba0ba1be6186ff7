using Immunise.Booking;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Manage;

/// <summary>Asks the citizen to confirm, then cancels the appointment (<see cref="CancelBooking"/>) and says so.</summary>
public sealed class CancelModel(ManageStateStore store, GetBooking bookings, CancelBooking cancel) : ManagePage(store, bookings)
{
    public override string Title => "Are you sure you want to cancel this appointment?";

    public override string? BackLink => "/manage/appointment";

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(mustBeActive: true, cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (await LoadAsync(mustBeActive: true, cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        var cancelled = await cancel.HandleAsync(new CancelBookingRequest(State.Reference, State.DateOfBirth), cancellationToken);
        if (!cancelled.Succeeded)
        {
            Errors.Add("confirm-cancel", cancelled.Failure!.Code == "appointment-in-past"
                ? "This appointment has already started, so it cannot be cancelled online"
                : "This appointment could not be cancelled: " + cancelled.Failure.Message.TrimEnd('.'));
            return Page();
        }

        Store.Write(HttpContext, State with { Notice = "Your appointment has been cancelled." });
        return RedirectToPage("/Manage/Appointment");
    }
}
