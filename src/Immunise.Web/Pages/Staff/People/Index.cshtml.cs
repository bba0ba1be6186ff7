using Immunise.Audit;
using Immunise.Common;
using Immunise.People;
using Immunise.Records;
using Immunise.Staff;
using Immunise.Vaccines;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.People;

/// <summary>
/// A person's record for staff who look people up (site staff, GP practices, the call centre, administrators). The NHS
/// number is posted, never put in the address; every view is audited (<c>person.read</c>, actor the member of staff)
/// before the record is shown.
/// </summary>
[StaffAccess(StaffScope.AnyScope, StaffRole.NationalAdministrator, StaffRole.SiteManager, StaffRole.Clinician, StaffRole.Receptionist,
    StaffRole.GpPracticeUser, StaffRole.CallCentreAgent)]
public sealed class IndexModel(GetPerson people, GetVaccinationHistory history, AuditLog audit, VaccineCatalogue catalogue) : StaffPage
{
    public static readonly IReadOnlySet<StaffRole> Readers = new HashSet<StaffRole>
    {
        StaffRole.NationalAdministrator, StaffRole.SiteManager, StaffRole.Clinician, StaffRole.Receptionist, StaffRole.GpPracticeUser, StaffRole.CallCentreAgent,
    };

    public VaccineCatalogue Catalogue => catalogue;

    public Person? Person { get; private set; }

    public IReadOnlyList<VaccinationEvent> Vaccinations { get; private set; } = [];

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string? nhsNumber, CancellationToken cancellationToken)
    {
        if (!NhsNumber.TryParse(nhsNumber, out var nhs, out var reason))
        {
            AddError("nhsNumber", string.IsNullOrWhiteSpace(nhsNumber) ? "Enter an NHS number." : reason);
            return PageWithErrors();
        }

        var person = await people.HandleAsync(nhs, cancellationToken);
        if (person is null)
        {
            AddError("nhsNumber", "No person with this NHS number is in the register.");
            return PageWithErrors(FailureKind.NotFound);
        }

        var events = await history.HandleAsync(new VaccinationHistoryQuery(nhs), cancellationToken);
        await audit.WriteAsync(new AuditEntry(Actor, "person.read", nhs, "Person", nhs.Value, "staff-page", HttpContext.TraceIdentifier), CancellationToken.None);
        (Person, Vaccinations) = (person, events);
        return Page();
    }
}
