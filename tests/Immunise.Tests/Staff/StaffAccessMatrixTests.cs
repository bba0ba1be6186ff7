extern alias web;

using System.Net;
using System.Text;
using Immunise.Access;
using Immunise.Availability;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StaffAccessAttribute = web::Immunise.Web.Staff.StaffAccessAttribute;
using StaffScope = web::Immunise.Web.Staff.StaffScope;

namespace Immunise.Tests.Staff;

/// <summary>
/// Walks every endpoint the app maps (read from its endpoint data sources, so new pages and endpoints are included without
/// changing this test): each must declare who may use it. Every staff endpoint is then called by every role (granted for
/// the test site, its region, or nationally), by staff of another site and region, and by no one, and must admit or refuse
/// exactly as its declaration says.
/// </summary>
public sealed class StaffAccessMatrixTests
{
    private const string Site = "A12345";
    private const string Region = "Y56";
    private const string OtherSite = "B99999";
    private const string OtherRegion = "Y59";

    [Fact]
    public async Task EveryEndpoint_DeclaresWhoMayUseIt()
    {
        await using var app = await ImmuniseApp.StartAsync(DatabaseProvider.Sqlite);

        var undeclared = Endpoints(app).Where(e => Declaration(e) == Kind.Undeclared).Select(e => e.DisplayName).ToList();

        Assert.Empty(undeclared);
        Assert.Contains(Endpoints(app), e => e.RoutePattern.RawText == "/api/v1/sites/{odsCode}/stock" && Declaration(e) == Kind.Staff);
        Assert.Contains(Endpoints(app), e => e.RoutePattern.RawText == "staff/users/{id}" && Declaration(e) == Kind.Staff);
        Assert.Contains(Endpoints(app), e => e.RoutePattern.RawText == "staff/sites/{odsCode}/sessions/{sessionId}/change" && Declaration(e) == Kind.Staff);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task EveryStaffEndpoint_ForEveryRoleAndOtherSitesStaff_AdmitsOrRefusesExactlyAsDeclared(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, StaffKit.ManySignIns);
        await app.AddSitesAsync((Site, Region), (OtherSite, OtherRegion));
        var users = new List<(string Who, IReadOnlyList<Grant> Grants, HttpClient Client)>();
        foreach (var grant in StaffRoles.All.Select(HereGrant).Concat(StaffRoles.All.Select(ElsewhereGrant)).OfType<Grant>())
        {
            var user = await app.AddStaffAsync(grant);
            users.Add((grant.ToString(), user.Grants, await app.SignedInAsync(user)));
        }

        var batch = await app.Services.GetRequiredService<SiteStock>().ReceiveAsync(Site,
            new ReceiveBatchRequest(Products.Comirnaty, "FK1234", new DateOnly(2027, 1, 31), 100), Audit.Actor.System("test"));
        var session = await app.Services.GetRequiredService<PublishSessions>().CreateAsync(Site,
            new SessionDetails(new DateOnly(2026, 11, 23), "09:00", "10:00", 10, 1, ["COVID:18+"]));
        var template = await app.Services.GetRequiredService<PublishSessions>().ApplyTemplateAsync(Site, new WeeklyTemplate(
            new DateOnly(2026, 11, 30), new DateOnly(2026, 12, 6), [new WeeklySession(["tuesday"], "09:00", "10:00", 10, 1, ["COVID:18+"])]), "test");
        var samples = new Dictionary<string, string>
        {
            ["odsCode"] = Site,
            ["id"] = (await app.AddStaffAsync(Grant.Organisation(StaffRole.Clinician, Site))).Id,
            ["batchId"] = batch.Value!.Id,
            ["sessionId"] = session.Value!.Id,
            ["templateId"] = template.Value!.TemplateId,
        };
        var anonymous = app.Browser();

        var staffEndpoints = Endpoints(app).Where(e => Declaration(e) == Kind.Staff).ToList();
        var mismatches = new List<string>();
        var calls = 0;
        foreach (var endpoint in staffEndpoints)
        {
            var declarations = endpoint.Metadata.GetOrderedMetadata<StaffAccessAttribute>();
            var path = Path(endpoint, samples);
            var namesSite = endpoint.RoutePattern.Parameters.Any(p => p.Name == "odsCode");
            foreach (var method in Methods(endpoint))
            {
                foreach (var (who, grants, client) in users)
                {
                    var expected = declarations.All(d => Expected(d, grants, namesSite ? Site : null));
                    var status = await SendAsync(client, method, path);
                    calls++;
                    var admitted = status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.Redirect);
                    if (admitted != expected)
                    {
                        mismatches.Add($"{method} {path} as {who}: {(int)status}, expected {(expected ? "admitted" : "refused")}");
                    }
                }

                var anonymousStatus = await SendAsync(anonymous, method, path);
                var expectedAnonymous = path.StartsWith("/api/", StringComparison.Ordinal) ? HttpStatusCode.Unauthorized : HttpStatusCode.Redirect;
                if (anonymousStatus != expectedAnonymous)
                {
                    mismatches.Add($"{method} {path} signed out: {(int)anonymousStatus}, expected {(int)expectedAnonymous}");
                }
            }
        }

        Assert.Empty(mismatches);
        Assert.True(staffEndpoints.Count >= 27, $"only {staffEndpoints.Count} staff endpoints found");
        Assert.True(calls >= staffEndpoints.Count * users.Count);
    }

    /// <summary>The role granted for the test site, its region, or nationally (each role at the scope it is granted at).</summary>
    private static Grant HereGrant(StaffRole role) => role switch
    {
        StaffRole.NationalAdministrator or StaffRole.CallCentreAgent or StaffRole.Analyst => Grant.National(role),
        StaffRole.RegionalManager => Grant.Region(role, Region),
        _ => Grant.Organisation(role, Site),
    };

    /// <summary>The same role somewhere else: another site, another region (national roles have no elsewhere).</summary>
    private static Grant? ElsewhereGrant(StaffRole role) => role switch
    {
        StaffRole.NationalAdministrator => null,
        StaffRole.RegionalManager or StaffRole.CallCentreAgent or StaffRole.Analyst => Grant.Region(role, OtherRegion),
        _ => Grant.Organisation(role, OtherSite),
    };

    /// <summary>What a declaration means, stated again here: the test does not use the code it checks.</summary>
    private static bool Expected(StaffAccessAttribute declaration, IReadOnlyList<Grant> grants, string? site)
    {
        var held = grants.Where(g => declaration.Roles.Contains(g.Role)).ToList();
        return declaration.Scope switch
        {
            StaffScope.SignedIn => true,
            StaffScope.AnyScope => held.Count > 0,
            StaffScope.National => held.Any(g => g.ScopeType == ScopeType.National),
            StaffScope.Site => site is not null && held.Any(g =>
                g.ScopeType == ScopeType.National
                || (g.ScopeType == ScopeType.Organisation && g.ScopeCode == site)
                || (g.ScopeType == ScopeType.Region && g.ScopeCode == Region)),
            _ => throw new InvalidOperationException($"No expectation for {declaration.Scope}"),
        };
    }

    private enum Kind
    {
        Public,
        ApiKey,
        Staff,
        Undeclared,
    }

    private static Kind Declaration(RouteEndpoint endpoint)
    {
        if (endpoint.Metadata.GetOrderedMetadata<StaffAccessAttribute>().Count > 0)
        {
            return Kind.Staff;
        }

        if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return Kind.Public;
        }

        var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
        return policies.Count > 0 && policies.All(p => p is not null && Scopes.All.Contains(p)) ? Kind.ApiKey : Kind.Undeclared;
    }

    private static List<RouteEndpoint> Endpoints(ImmuniseApp app) =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    private static string Path(RouteEndpoint endpoint, Dictionary<string, string> samples)
    {
        var path = new StringBuilder();
        foreach (var segment in endpoint.RoutePattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                    Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => samples.TryGetValue(parameter.Name, out var value)
                        ? value
                        : throw new InvalidOperationException($"Add a sample value for route parameter '{parameter.Name}' ({endpoint.DisplayName})."),
                    _ => "",
                });
            }
        }

        return path.ToString();
    }

    /// <summary>An endpoint's methods; pages (which declare none) are tried with GET and POST.</summary>
    private static IEnumerable<string> Methods(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"];

    /// <summary>
    /// Sends a request that changes nothing when admitted: POSTs carry an empty JSON object (APIs refuse it as incomplete)
    /// or a form without an antiforgery token (pages refuse it), so the order of calls cannot matter.
    /// </summary>
    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = path.StartsWith("/api/", StringComparison.Ordinal)
                ? new StringContent("{}", Encoding.UTF8, "application/json")
                : new FormUrlEncodedContent([]);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
