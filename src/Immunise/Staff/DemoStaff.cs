using Immunise.Audit;
using Immunise.Common;

namespace Immunise.Staff;

/// <summary>One demo account: who it is and what it may do.</summary>
public sealed record DemoAccount(string Email, string DisplayName, Grant Grant);

/// <summary>
/// Demo accounts, one per role, all with the same configured password (Development only: <c>Staff:DemoPassword</c>), so a
/// laptop demo can sign in as anyone. Site roles are at <see cref="StaffOptions.DemoSite"/>, the regional manager's region
/// is <see cref="StaffOptions.DemoRegion"/>. Accounts that exist already are left as they are.
/// </summary>
public sealed class DemoStaff(ManageStaff manage, StaffDirectory directory)
{
    public static IReadOnlyList<DemoAccount> Accounts(StaffOptions options) =>
    [
        new("admin@demo.immunise.test", "Ada Admin", Grant.National(StaffRole.NationalAdministrator)),
        new("regional.manager@demo.immunise.test", "Rita Regional", Grant.Region(StaffRole.RegionalManager, options.DemoRegion)),
        new("site.manager@demo.immunise.test", "Sam Site-Manager", Grant.Organisation(StaffRole.SiteManager, options.DemoSite)),
        new("clinician@demo.immunise.test", "Chris Clinician", Grant.Organisation(StaffRole.Clinician, options.DemoSite)),
        new("receptionist@demo.immunise.test", "Robin Receptionist", Grant.Organisation(StaffRole.Receptionist, options.DemoSite)),
        new("gp@demo.immunise.test", "Gita GP-Practice", Grant.Organisation(StaffRole.GpPracticeUser, options.DemoSite)),
        new("call.centre@demo.immunise.test", "Cal Call-Centre", Grant.National(StaffRole.CallCentreAgent)),
        new("analyst@demo.immunise.test", "Ana Analyst", Grant.National(StaffRole.Analyst)),
    ];

    /// <summary>Creates the demo accounts that are missing; returns every demo account, or why the password was refused.</summary>
    public async Task<Result<DemoAccount[]>> EnsureAsync(StaffOptions options, CancellationToken cancellationToken = default)
    {
        var accounts = Accounts(options);
        foreach (var account in accounts)
        {
            if (await directory.FindByEmailAsync(account.Email, cancellationToken) is not null)
            {
                continue;
            }

            var created = await manage.CreateAsync(null, Actor.System("demo"), account.Email, account.DisplayName, account.Grant, options.DemoPassword,
                cancellationToken: cancellationToken);
            if (!created.Succeeded && created.Failure!.Code != "email-taken")
            {
                return created.Failure;
            }
        }

        return accounts.ToArray();
    }
}
