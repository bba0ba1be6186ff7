using Immunise.Staff;
using Immunise.Web.Staff;

namespace Immunise.Web.Pages.Staff.Users;

/// <summary>The accounts an administrator (all) or a site manager (those with roles at their sites) manages.</summary>
[StaffAccess(StaffScope.AnyScope, StaffRole.NationalAdministrator, StaffRole.SiteManager)]
public sealed class IndexModel(StaffDirectory directory) : StaffPage
{
    public IReadOnlyList<StaffUser> Users { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var me = await directory.FindAsync(StaffId, cancellationToken);
        Users = me is null ? [] : await directory.ListAsync(me, cancellationToken: cancellationToken);
    }
}
