using System.Data.Common;
using Dapper;
using Immunise.Common;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.Sites;

/// <summary>
/// Creates a site or replaces an existing site's details. The postcode places the site: coordinates, region and ICB come
/// from the postcode directory (a postcode not in it is refused: <c>unknown-postcode</c>).
/// </summary>
public sealed class SaveSite(Database database, TimeProvider clock, VaccineCatalogue catalogue)
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

    /// <summary>Replaces the details of the site <paramref name="odsCode"/>; the body's ODS code, when given, must be the same.</summary>
    public async Task<Result<Site>> UpdateAsync(string odsCode, SiteDetails details, CancellationToken cancellationToken = default)
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

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var location = await PostcodeLocation.FindAsync(connection, transaction, valid.Value!.Postcode, cancellationToken);
        if (location is null)
        {
            return UnknownPostcode;
        }

        var now = clock.GetUtcNow();
        var created = await connection.QuerySingleOrDefaultAsync<DateTimeOffset?>(new CommandDefinition(
            UpdateSql + " RETURNING created_at", Parameters(valid.Value, location, now), transaction, cancellationToken: cancellationToken));
        if (created is null)
        {
            return NotFound;
        }

        await ReplaceServicesAsync(connection, transaction, valid.Value, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ToSite(valid.Value, location, created.Value, now);
    }

    internal static readonly Failure UnknownPostcode =
        Failure.Invalid("unknown-postcode", "The postcode is not in the postcode directory, so the site cannot be placed.", "postcode");

    public static readonly Failure NotFound = Failure.NotFound("site-not-found", "No site has this ODS code.");

    internal const string InsertSql =
        """
        INSERT INTO sites (ods_code, name, site_type, address, postcode, latitude, longitude, region_ods_code, icb_ods_code,
            accessibility, information, services, products, status, created_at, updated_at)
        VALUES (@OdsCode, @Name, @Type, @Address, @Postcode, @Latitude, @Longitude, @RegionOdsCode, @IcbOdsCode,
            @Accessibility, @Information, @Services, @Products, @Status, @Now, @Now)
        """;

    internal const string UpdateSql =
        """
        UPDATE sites SET name = @Name, site_type = @Type, address = @Address, postcode = @Postcode, latitude = @Latitude,
            longitude = @Longitude, region_ods_code = @RegionOdsCode, icb_ods_code = @IcbOdsCode, accessibility = @Accessibility,
            information = @Information, services = @Services, products = @Products, status = @Status, updated_at = @Now
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
        location.IcbOdsCode, site.Accessibility, site.Information, site.Services, site.Products, site.Status, created, updated);
}
