using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using Immunise.Audit;
using Immunise.Staff;
using Immunise.Storage;
using Immunise.Tests.Web;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.Staff;

/// <summary>Staff accounts and signed-in browsers for tests.</summary>
public static partial class StaffKit
{
    public const string Password = "correct-horse-battery-staple";

    /// <summary>Settings that let a test sign many accounts in from one (test) address.</summary>
    public static readonly IReadOnlyDictionary<string, string> ManySignIns = new Dictionary<string, string> { ["Staff:SignInAttemptsPerWindow"] = "100000" };

    public static async Task<StaffUser> AddStaffAsync(this ImmuniseApp app, Grant grant, params Grant[] more)
    {
        var manage = app.Services.GetRequiredService<ManageStaff>();
        var email = $"{StaffRoles.Code(grant.Role)}-{Guid.NewGuid():N}"[..40] + "@test.nhs.uk";
        var created = await manage.CreateAsync(null, Actor.System("test"), email, "Test Person", grant, Password);
        Assert.True(created.Succeeded, created.Failure?.ToString());
        foreach (var extra in more)
        {
            Assert.True((await manage.GrantAsync(null, Actor.System("test"), created.Value!.User.Id, extra)).Succeeded);
        }

        return (await app.Services.GetRequiredService<StaffDirectory>().FindAsync(created.Value!.User.Id))!;
    }

    /// <summary>A browser signed in as <paramref name="user"/> through the sign-in form.</summary>
    public static async Task<HttpClient> SignedInAsync(this ImmuniseApp app, StaffUser user, string password = Password)
    {
        var browser = app.Browser();
        var response = await browser.PostFormAsync("/staff/sign-in", new() { ["email"] = user.Email, ["password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return browser;
    }

    /// <summary>GETs a page, then posts its form back with the antiforgery token the page carried.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string path, Dictionary<string, string> fields, string? formPath = null)
    {
        var page = await client.GetAsync(formPath ?? path);
        var html = await page.Content.ReadAsStringAsync();
        var token = TokenPattern().Match(html);
        Assert.True(token.Success, $"No antiforgery token on {formPath ?? path} ({(int)page.StatusCode})");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        return await client.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    /// <summary>
    /// Puts a site in a region for the regional scope check: into the booking feature's <c>sites</c> table when the database
    /// has it, else into a stand-in with just the two columns the check reads (this branch precedes the booking migration).
    /// </summary>
    public static async Task AddSitesAsync(this ImmuniseApp app, params (string OdsCode, string Region)[] sites)
    {
        await using var connection = await app.Database.Database.OpenAsync();
        var exists = await connection.ExecuteScalarAsync<bool>(app.Database.Provider == DatabaseProvider.Postgres
            ? "SELECT to_regclass('sites') IS NOT NULL"
            : "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'sites'");
        if (!exists)
        {
            await connection.ExecuteAsync("CREATE TABLE sites (ods_code text PRIMARY KEY, region_ods_code text NULL)");
            foreach (var (odsCode, region) in sites)
            {
                await connection.ExecuteAsync("INSERT INTO sites (ods_code, region_ods_code) VALUES (@odsCode, @region)", new { odsCode, region });
            }

            return;
        }

        foreach (var (odsCode, region) in sites)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO sites (ods_code, name, site_type, address, postcode, latitude, longitude, region_ods_code, icb_ods_code, accessibility,
                    information, services, products, status, created_at, updated_at)
                VALUES (@odsCode, 'Test site', 'vaccination-centre', '1 Test Street', 'EC1A 1BB', 51.5, -0.1, @region, NULL, '', NULL, 'COVID:18+', '', 'online', @now, @now)
                """,
                new { odsCode, region, now = ImmuniseApp.Now });
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
