using Immunise.Staff;
using Immunise.Web.Staff;

namespace Immunise.Web.Pages.Staff;

/// <summary>The staff home page: who is signed in and their roles.</summary>
[StaffAccess(StaffScope.SignedIn)]
public sealed class IndexModel(StaffDirectory directory) : StaffPage
{
    public StaffUser? Me { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => Me = await directory.FindAsync(StaffId, cancellationToken);
}
