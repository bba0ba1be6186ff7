using System.Data.Common;
using Dapper;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.Sites;

/// <summary>
/// Creates a site or replaces an existing site's details. The postcode places the site: coordinates, region and ICB come
/// from the postcode directory (a postcode not in it is refused: <c>unknown-postcode</c>). A change made by someone (a member
/// of staff, an API key) is audited as <c>site.updated</c> with the names of the fields that changed, in the same transaction.
/// </summary>
public sealed class SaveSite(Database database, TimeProvider clock, VaccineCatalogue catalogue, AuditLog audit)
{
    public async Task<Result<Site>> CreateAsync(SiteDetails details, CancellationToken cancellationToken = default)
    {
        var valid = SiteRules.Validate(details, catalogue);
        if (!valid.Succeeded)
        {
            return valid.Failure!;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var location = await PostcodeLocation.FindAsync(connection, transaction, valid.Value!.Postcode, cancellationToken);
        if (location is null)
        {
            return UnknownPostcode;
        }

        var now = clock.GetUtcNow();
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertSql, Parameters(valid.Value, location, now), transaction, cancellationToken: cancellationToken));
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            return Failure.Conflict("duplicate-site", "A site with this ODS code already exists; change it with PUT.", "odsCode");
        }

        await ReplaceServicesAsync(connection, transaction, valid.Value, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ToSite(valid.Value, location, now, now);
    }

    /// <summary>
    /// Replaces the details of the site <paramref name="odsCode"/>; the body's ODS code, when given, must be the same. With an
    /// <paramref name="actor"/>, the fields that changed are audited (<c>site.updated</c>; nothing is written when none did).
    /// </summary>
    public async Task<Result<Site>> UpdateAsync(string odsCode, SiteDetails details, Actor? actor = null, CancellationToken cancellationToken = default)
    {
        if (!SiteRules.TryParseOdsCode(odsCode, out var ods))
        {
            return NotFound;
        }

        if (!string.IsNullOrWhiteSpace(details.OdsCode) && !string.Equals(details.OdsCode.Trim(), ods, StringComparison.OrdinalIgnoreCase))
        {
            return Failure.Invalid("ods-code-mismatch", "The ODS code in the body differs from the one in the address; a site's ODS code cannot change.", "odsCode");
        }

        var valid = SiteRules.Validate(details with { OdsCode = ods }, catalogue);
        if (!valid.Succeeded)
        {
            return valid.Failure!;
        }

        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var location = await PostcodeLocation.FindAsync(connection, transaction, valid.Value!.Postcode, cancellationToken);
        if (location is null)
        {
            return UnknownPostcode;
        }

        var before = await connection.QuerySingleOrDefaultAsync<SiteRow>(new CommandDefinition(
            $"SELECT {SiteRow.Columns} FROM sites WHERE ods_code = @ods{(database.Dialect.IsPostgres ? " FOR NO KEY UPDATE" : "")}",
            new { ods }, transaction, cancellationToken: cancellationToken));
        if (before is null)
        {
            return NotFound;
        }

        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(new CommandDefinition(UpdateSql, Parameters(valid.Value, location, now), transaction, cancellationToken: cancellationToken));
        await ReplaceServicesAsync(connection, transaction, valid.Value, cancellationToken);
        var after = ToSite(valid.Value, location, before.CreatedAt, now);
        var changed = Changes(before.ToSite(), after);
        if (actor is not null && changed.Count > 0)
        {
            await audit.WriteAsync(connection, transaction, new AuditEntry(actor, "site.updated", ResourceType: "Site", ResourceId: ods,
                Purpose: "changed: " + string.Join(", ", changed)), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return after;
    }

    /// <summary>The names of the fields that differ between two versions of a site (API names: <c>name</c>, <c>accessibility</c>…).</summary>
    public static IReadOnlyList<string> Changes(Site before, Site after)
    {
        var changed = new List<string>();
        void Check(string field, bool same)
        {
            if (!same)
            {
                changed.Add(field);
            }
        }

        Check("name", before.Name == after.Name);
        Check("type", before.Type == after.Type);
        Check("address", before.Address == after.Address);
        Check("postcode", before.Postcode == after.Postcode);
        Check("phone", before.Phone == after.Phone);
        Check("email", before.Email == after.Email);
        Check("accessibility", before.Accessibility.SequenceEqual(after.Accessibility));
        Check("information", before.Information == after.Information);
        Check("services", before.Services.SequenceEqual(after.Services));
        Check("products", before.Products.SequenceEqual(after.Products));
        Check("status", before.Status == after.Status);
        return changed;
    }

    internal static readonly Failure UnknownPostcode =
        Failure.Invalid("unknown-postcode", "The postcode is not in the postcode directory, so the site cannot be placed.", "postcode");

    public static readonly Failure NotFound = Failure.NotFound("site-not-found", "No site has this ODS code.");

    internal const string InsertSql =
        """
        INSERT INTO sites (ods_code, name, site_type, address, postcode, latitude, longitude, region_ods_code, icb_ods_code,
            accessibility, information, services, products, status, created_at, updated_at, phone, email)
        VALUES (@OdsCode, @Name, @Type, @Address, @Postcode, @Latitude, @Longitude, @RegionOdsCode, @IcbOdsCode,
            @Accessibility, @Information, @Services, @Products, @Status, @Now, @Now, @Phone, @Email)
        """;

    internal const string UpdateSql =
        """
        UPDATE sites SET name = @Name, site_type = @Type, address = @Address, postcode = @Postcode, latitude = @Latitude,
            longitude = @Longitude, region_ods_code = @RegionOdsCode, icb_ods_code = @IcbOdsCode, accessibility = @Accessibility,
            information = @Information, services = @Services, products = @Products, status = @Status, updated_at = @Now,
            phone = @Phone, email = @Email
        WHERE ods_code = @OdsCode
        """;

    internal static object Parameters(ValidSite site, PostcodeLocation location, DateTimeOffset now) => new
    {
        site.OdsCode,
        site.Name,
        site.Type,
        site.Address,
        site.Postcode,
        location.Latitude,
        location.Longitude,
        location.RegionOdsCode,
        location.IcbOdsCode,
        Accessibility = SiteRules.Join(site.Accessibility),
        site.Information,
        Services = SiteRules.Join(site.Services),
        Products = SiteRules.Join(site.Products),
        site.Status,
        site.Phone,
        site.Email,
        Now = now,
    };

    internal static async Task ReplaceServicesAsync(DbConnection connection, DbTransaction transaction, ValidSite site, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM site_services WHERE ods_code = @OdsCode", new { site.OdsCode }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO site_services (service, ods_code) VALUES (@Service, @OdsCode)",
            site.Services.Select(s => new { Service = s, site.OdsCode }), transaction, cancellationToken: cancellationToken));
    }

    internal static Site ToSite(ValidSite site, PostcodeLocation location, DateTimeOffset created, DateTimeOffset updated) => new(
        site.OdsCode, site.Name, site.Type, site.Address, site.Postcode, location.Latitude, location.Longitude, location.RegionOdsCode,
        location.IcbOdsCode, site.Accessibility, site.Information, site.Services, site.Products, site.Status, created, updated, site.Phone, site.Email);
}
