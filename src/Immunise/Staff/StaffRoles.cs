using System.Diagnostics.CodeAnalysis;

namespace Immunise.Staff;

/// <summary>What a member of staff does. Stored as the kebab-case <see cref="StaffRoles.Code"/>.</summary>
public enum StaffRole
{
    NationalAdministrator,
    RegionalManager,
    SiteManager,
    Clinician,
    Receptionist,
    GpPracticeUser,
    CallCentreAgent,
    Analyst,
}

/// <summary>Where a role applies: the whole country, one NHS England region, or one organisation (a site or GP practice).</summary>
public enum ScopeType
{
    National,
    Region,
    Organisation,
}

/// <summary>A role at a scope: "clinician at B87008", "regional manager for Y56", "national administrator".</summary>
public sealed record Grant(StaffRole Role, ScopeType ScopeType, string ScopeCode)
{
    public static Grant National(StaffRole role) => new(role, ScopeType.National, "");

    public static Grant Region(StaffRole role, string region) => new(role, ScopeType.Region, region);

    public static Grant Organisation(StaffRole role, string odsCode) => new(role, ScopeType.Organisation, odsCode);

    /// <summary>How a grant is written in files and claims: <c>clinician@organisation:B87008</c>, <c>analyst@national</c>.</summary>
    public override string ToString() => $"{StaffRoles.Code(Role)}@{StaffRoles.ScopeCode(ScopeType)}{(ScopeCode.Length > 0 ? ":" + ScopeCode : "")}";

    public string Describe() => ScopeType switch
    {
        ScopeType.National => $"{StaffRoles.Display(Role)}, national",
        ScopeType.Region => $"{StaffRoles.Display(Role)}, region {ScopeCode}",
        _ => $"{StaffRoles.Display(Role)} at {ScopeCode}",
    };

    /// <summary>Reads <see cref="ToString"/>'s form back.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Grant? grant)
    {
        grant = null;
        var at = text?.IndexOf('@', StringComparison.Ordinal) ?? -1;
        if (text is null || at <= 0 || !StaffRoles.TryParse(text[..at], out var role))
        {
            return false;
        }

        var scope = text[(at + 1)..];
        var colon = scope.IndexOf(':', StringComparison.Ordinal);
        var (type, code) = colon < 0 ? (scope, "") : (scope[..colon], scope[(colon + 1)..]);
        if (!StaffRoles.TryParseScope(type, out var scopeType))
        {
            return false;
        }

        grant = new Grant(role, scopeType, code);
        return true;
    }
}

/// <summary>The roles' codes, names and the scopes each may be granted at.</summary>
public static class StaffRoles
{
    public static readonly IReadOnlyList<StaffRole> All = Enum.GetValues<StaffRole>();

    public static string Code(StaffRole role) => role switch
    {
        StaffRole.NationalAdministrator => "national-administrator",
        StaffRole.RegionalManager => "regional-manager",
        StaffRole.SiteManager => "site-manager",
        StaffRole.Clinician => "clinician",
        StaffRole.Receptionist => "receptionist",
        StaffRole.GpPracticeUser => "gp-practice-user",
        StaffRole.CallCentreAgent => "call-centre-agent",
        StaffRole.Analyst => "analyst",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static string Display(StaffRole role) => role switch
    {
        StaffRole.NationalAdministrator => "National administrator",
        StaffRole.RegionalManager => "Regional manager",
        StaffRole.SiteManager => "Site manager",
        StaffRole.Clinician => "Clinician (vaccinator)",
        StaffRole.Receptionist => "Receptionist",
        StaffRole.GpPracticeUser => "GP practice user",
        StaffRole.CallCentreAgent => "Call-centre agent",
        StaffRole.Analyst => "Analyst",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static bool TryParse(string? code, out StaffRole role)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(Code(candidate), code?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                role = candidate;
                return true;
            }
        }

        role = default;
        return false;
    }

    public static string ScopeCode(ScopeType type) => type switch
    {
        ScopeType.National => "national",
        ScopeType.Region => "region",
        _ => "organisation",
    };

    public static bool TryParseScope(string? code, out ScopeType type)
    {
        switch (code?.Trim().ToLowerInvariant())
        {
            case "national":
                type = ScopeType.National;
                return true;
            case "region":
                type = ScopeType.Region;
                return true;
            case "organisation" or "organization" or "site":
                type = ScopeType.Organisation;
                return true;
            default:
                type = default;
                return false;
        }
    }

    /// <summary>
    /// The scope each role is granted at: administrators nationally; regional managers for a region; site staff and GP
    /// practice users at an organisation; call-centre agents and analysts nationally or for a region.
    /// </summary>
    public static bool AllowsScope(StaffRole role, ScopeType scope) => role switch
    {
        StaffRole.NationalAdministrator => scope == ScopeType.National,
        StaffRole.RegionalManager => scope == ScopeType.Region,
        StaffRole.SiteManager or StaffRole.Clinician or StaffRole.Receptionist or StaffRole.GpPracticeUser => scope == ScopeType.Organisation,
        StaffRole.CallCentreAgent or StaffRole.Analyst => scope is ScopeType.National or ScopeType.Region,
        _ => false,
    };

    /// <summary>The roles a site manager may grant, at the sites they manage.</summary>
    public static readonly IReadOnlySet<StaffRole> SiteManagerGrantable = new HashSet<StaffRole> { StaffRole.SiteManager, StaffRole.Clinician, StaffRole.Receptionist };

    /// <summary>An ODS code: 3 to 10 letters and digits, upper-cased (sites, practices; regions are Y-codes like Y56).</summary>
    public static bool TryParseOdsCode(string? input, [NotNullWhen(true)] out string? odsCode)
    {
        odsCode = input?.Trim().ToUpperInvariant();
        if (odsCode is null || odsCode.Length is < 3 or > 10 || !odsCode.All(char.IsAsciiLetterOrDigit))
        {
            odsCode = null;
            return false;
        }

        return true;
    }
}
