using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.DataProtection;

namespace Immunise.Web.Pages.Book;

/// <summary>
/// Where a citizen has got to in booking, kept in a protected cookie (<see cref="ProtectedState{T}"/>): who they are (once
/// matched in the register), what they may book, the postcode they search from, the appointments they hold, and how to
/// contact them. Never put in a URL or a log.
/// </summary>
public sealed record BookingJourney
{
    /// <summary>The programme chosen on the start page (<see cref="Programmes"/>).</summary>
    public string Programme { get; init; } = "";

    /// <summary>The NHS number of the person matched in the register; null until they have identified themselves.</summary>
    public string? NhsNumber { get; init; }

    public DateOnly? DateOfBirth { get; init; }

    /// <summary>The NHS number typed on the identify page (kept to fill the form again when they come back to it).</summary>
    public string? TypedNhsNumber { get; init; }

    /// <summary>The eligibility decision, once made for the person; null before.</summary>
    public EligibilityDecision? Eligibility { get; init; }

    public string? Postcode { get; init; }

    /// <summary>The appointments chosen so far, dose by dose (index 0: the first appointment of this booking).</summary>
    public IReadOnlyList<DoseChoice> Doses { get; init; } = [];

    public string? Mobile { get; init; }

    public string? Email { get; init; }

    /// <summary>True once contact details have been given (both may be empty only if the citizen chose neither).</summary>
    public bool ContactGiven { get; init; }

    /// <summary>The booking references, once confirmed.</summary>
    public IReadOnlyList<string> Confirmed { get; init; } = [];

    public DoseChoice? Dose(int index) => index >= 0 && index < Doses.Count ? Doses[index] : null;

    /// <summary>The journey with the choice for appointment <paramref name="index"/> replaced, and later ones dropped when <paramref name="dropLater"/>.</summary>
    public BookingJourney WithDose(int index, DoseChoice choice, bool dropLater)
    {
        var doses = Doses.Take(index).ToList();
        while (doses.Count < index)
        {
            doses.Add(new DoseChoice());
        }

        doses.Add(choice);
        if (!dropLater)
        {
            doses.AddRange(Doses.Skip(index + 1));
        }

        return this with { Doses = doses };
    }
}

/// <summary>
/// What the eligibility engine decided for the person and programme, as the journey needs it. <see cref="Appointments"/>:
/// 2 when the dose due is the first of a two-dose primary course (once the first appointment is held, from the vaccine held
/// for it), else 1.
/// </summary>
public sealed record EligibilityDecision(
    bool Eligible,
    string Code,
    IReadOnlyList<string> Reasons,
    string? Service,
    int DoseNumber,
    int Appointments,
    DateOnly? Earliest,
    DateOnly? Latest,
    bool Primary = false);

/// <summary>One appointment being chosen: site, day, slot and the hold placed on it.</summary>
public sealed record DoseChoice
{
    public string? SiteOdsCode { get; init; }

    public DateOnly? Day { get; init; }

    public long? SlotId { get; init; }

    /// <summary>The hold's id (a secret: it confirms the place); the reference is shown only once confirmed.</summary>
    public string? HoldId { get; init; }

    public string? Reference { get; init; }

    public string? ProductCode { get; init; }

    public string? StartTime { get; init; }

    public DateTimeOffset? HoldExpiresAt { get; init; }
}

/// <summary>The programmes a citizen can book, by the path segment of their start page.</summary>
public static class Programmes
{
    public sealed record Programme(string Slug, string Condition, string Target, string Name, string LowerName);

    public static readonly IReadOnlyList<Programme> All =
    [
        new("covid-19", "COVID", "COVID19", "COVID-19", "COVID-19"),
        new("flu", "FLU", "FLU", "Flu", "flu"),
    ];

    public static Programme? Find(string? slug) => All.FirstOrDefault(p => string.Equals(p.Slug, slug, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The booking journey's cookie.</summary>
public sealed class BookingJourneyStore(IDataProtectionProvider protection, TimeProvider clock)
{
    private readonly ProtectedState<BookingJourney> _state = new(protection, clock, "immunise-book");

    public BookingJourney? Read(HttpContext context) => _state.Read(context);

    public void Write(HttpContext context, BookingJourney journey) => _state.Write(context, journey);

    public void Clear(HttpContext context) => _state.Clear(context);
}
