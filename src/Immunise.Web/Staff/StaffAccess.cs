using System.Security.Claims;
using Immunise.Staff;
using Microsoft.AspNetCore.Authorization;

namespace Immunise.Web.Staff;

/// <summary>What part of a member of staff's grants an endpoint looks at.</summary>
public enum StaffScope
{
    /// <summary>Anyone signed in with a staff account, whatever their roles (their own home page, password, sign-out).</summary>
    SignedIn,

    /// <summary>One of the roles, at any scope (the endpoint limits what it shows to the person's scopes itself).</summary>
    AnyScope,

    /// <summary>One of the roles granted nationally.</summary>
    National,

    /// <summary>
    /// One of the roles at the site named by the route's <c>{odsCode}</c>: granted nationally, at that organisation, or for
    /// the region the site is in.
    /// </summary>
    Site,
}

/// <summary>
/// The declaration every staff page and endpoint makes: the roles it admits and the scope they must hold. On a page
/// model class, or on an endpoint through <see cref="StaffAccessEndpoints.RequireStaff"/>. It is an
/// <see cref="IAuthorizeData"/> naming the staff policy and the staff cookie, so the authorization middleware enforces it
/// (<see cref="StaffAccessHandler"/>) and tests can read it from the endpoint's metadata.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class StaffAccessAttribute : Attribute, IAuthorizeData
{
    public const string PolicyName = "staff";
    public const string SiteRouteValue = "odsCode";

    public StaffAccessAttribute(StaffScope scope, params StaffRole[] roles)
    {
        Scope = scope;
        Roles = roles;
        if (scope != StaffScope.SignedIn && roles.Length == 0)
        {
            throw new ArgumentException("A staff endpoint must name the roles it admits.", nameof(roles));
        }
    }

    public StaffScope Scope { get; }

    /// <summary>The roles admitted (empty for <see cref="StaffScope.SignedIn"/>).</summary>
    public IReadOnlyList<StaffRole> Roles { get; }

    string? IAuthorizeData.Policy { get => PolicyName; set { } }

    string? IAuthorizeData.Roles { get => null; set { } }

    string? IAuthorizeData.AuthenticationSchemes { get => StaffCookie.SchemeName; set { } }

    /// <summary>
    /// Whether <paramref name="grants"/> satisfy this declaration for a request naming <paramref name="site"/> (null when
    /// the route has none) in <paramref name="siteRegion"/> (null when unknown).
    /// </summary>
    public bool Admits(IReadOnlyList<Grant> grants, string? site, string? siteRegion) => Scope switch
    {
        StaffScope.SignedIn => true,
        StaffScope.AnyScope => grants.Any(g => Roles.Contains(g.Role)),
        StaffScope.National => grants.Any(g => Roles.Contains(g.Role) && g.ScopeType == ScopeType.National),
        StaffScope.Site => site is not null && grants.Any(g => Roles.Contains(g.Role) && (
            g.ScopeType == ScopeType.National
            || (g.ScopeType == ScopeType.Organisation && g.ScopeCode == site)
            || (g.ScopeType == ScopeType.Region && siteRegion is not null && g.ScopeCode == siteRegion))),
        _ => false,
    };
}

/// <summary>The staff policy's one requirement: every <see cref="StaffAccessAttribute"/> on the endpoint admits the user.</summary>
public sealed class StaffAccessRequirement : IAuthorizationRequirement;

/// <summary>
/// Checks a signed-in member of staff against the endpoint's <see cref="StaffAccessAttribute"/>s, reading the site from
/// the route and its region from <see cref="SiteRegions"/> when a regional grant could apply. An endpoint under the staff
/// policy without a declaration admits no one. An account that must change its password reaches only
/// <see cref="StaffScope.SignedIn"/> endpoints.
/// </summary>
public sealed class StaffAccessHandler(SiteRegions regions) : AuthorizationHandler<StaffAccessRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, StaffAccessRequirement requirement)
    {
        if (context.Resource is not HttpContext http || context.User.FindFirstValue(ClaimTypes.NameIdentifier) is null
            || context.User.Identity?.AuthenticationType != StaffCookie.SchemeName)
        {
            return;
        }

        var declarations = http.GetEndpoint()?.Metadata.GetOrderedMetadata<StaffAccessAttribute>() ?? [];
        if (declarations.Count == 0)
        {
            return;
        }

        var mustChangePassword = context.User.HasClaim(StaffClaims.MustChangePassword, "true");
        if (mustChangePassword && declarations.Any(d => d.Scope != StaffScope.SignedIn))
        {
            return;
        }

        var grants = StaffClaims.Grants(context.User);
        string? site = null;
        string? region = null;
        if (declarations.Any(d => d.Scope == StaffScope.Site))
        {
            StaffRoles.TryParseOdsCode(http.GetRouteValue(StaffAccessAttribute.SiteRouteValue) as string, out site);
            if (site is not null && grants.Any(g => g.ScopeType == ScopeType.Region))
            {
                region = await regions.RegionOfAsync(site, http.RequestAborted);
            }
        }

        if (declarations.All(d => d.Admits(grants, site, region)))
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary>Declares an endpoint's staff access: <c>.RequireStaff(StaffScope.Site, StaffRole.SiteManager, …)</c>.</summary>
public static class StaffAccessEndpoints
{
    public static TBuilder RequireStaff<TBuilder>(this TBuilder builder, StaffScope scope, params StaffRole[] roles)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(new StaffAccessAttribute(scope, roles));
}

/// <summary>The claims a staff sign-in carries, refreshed from the database on every request.</summary>
public static class StaffClaims
{
    public const string Grant = "immunise:grant";
    public const string SecurityStamp = "immunise:stamp";
    public const string MustChangePassword = "immunise:must-change-password";

    public static ClaimsPrincipal Principal(StaffUser user)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id),
            new(ClaimTypes.Name, user.DisplayName),
            new(SecurityStamp, user.SecurityStamp),
            new(MustChangePassword, user.MustChangePassword ? "true" : "false"),
        };
        claims.AddRange(user.Grants.Select(g => new Claim(Grant, g.ToString())));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, StaffCookie.SchemeName, ClaimTypes.Name, null));
    }

    public static IReadOnlyList<Grant> Grants(ClaimsPrincipal user) =>
        user.FindAll(Grant).Select(c => Immunise.Staff.Grant.TryParse(c.Value, out var g) ? g : null).OfType<Grant>().ToList();

    /// <summary>The signed-in member of staff's account id (their actor id in the audit trail).</summary>
    public static string StaffId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("No member of staff is signed in.");
}
