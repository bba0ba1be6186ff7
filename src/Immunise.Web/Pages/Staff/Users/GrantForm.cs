using Immunise.Staff;

namespace Immunise.Web.Pages.Staff.Users;

/// <summary>The role and scope fields of the account forms.</summary>
public sealed record GrantForm(StaffPage Page, IReadOnlyList<StaffRole> Roles, string? Selected, string? ScopeCode)
{
    /// <summary>
    /// A grant from the form: the role's scope type follows from the role (regional managers a region, site roles an
    /// organisation, administrators national; call-centre agents and analysts national unless a region code is given).
    /// </summary>
    public static Grant? Read(StaffPage page, string? roleCode, string? scopeCode, Action<string, string> error)
    {
        if (!StaffRoles.TryParse(roleCode, out var role))
        {
            error("role", "Choose a role.");
            return null;
        }

        var code = scopeCode?.Trim().ToUpperInvariant() ?? "";
        var type = role switch
        {
            StaffRole.NationalAdministrator => ScopeType.National,
            StaffRole.RegionalManager => ScopeType.Region,
            StaffRole.CallCentreAgent or StaffRole.Analyst => code.Length == 0 ? ScopeType.National : ScopeType.Region,
            _ => ScopeType.Organisation,
        };
        if (type == ScopeType.National && code.Length > 0)
        {
            error("scopeCode", $"{StaffRoles.Display(role)} is a national role: leave the code empty.");
            return null;
        }

        if (type != ScopeType.National && !StaffRoles.TryParseOdsCode(code, out _))
        {
            error("scopeCode", type == ScopeType.Region ? "Enter the region's ODS code, like Y56." : "Enter the site's or practice's ODS code, like B87008.");
            return null;
        }

        _ = page;
        return new Grant(role, type, code);
    }

    /// <summary>The roles <paramref name="me"/> may grant somewhere.</summary>
    public static IReadOnlyList<StaffRole> GrantableBy(StaffUser me) =>
        me.IsAdministrator ? StaffRoles.All : StaffRoles.All.Where(StaffRoles.SiteManagerGrantable.Contains).ToList();
}
