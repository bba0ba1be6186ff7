using Dapper;
using Immunise.Storage;

namespace Immunise.Staff;

/// <summary>
/// The NHS England region a site is in, for regional managers' access: read from the booking feature's <c>sites</c> table.
/// Until that table exists in the database (the booking migration), no site has a known region and regional roles reach
/// no site. Positive answers about the table are kept; a missing table is looked for again on the next call.
/// </summary>
public sealed class SiteRegions(Database database)
{
    private volatile bool _sitesTableExists;

    public async Task<string?> RegionOfAsync(string siteOdsCode, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (!_sitesTableExists)
        {
            var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                database.Dialect.IsPostgres
                    ? "SELECT to_regclass('sites') IS NOT NULL"
                    : "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'sites'",
                cancellationToken: cancellationToken));
            if (!exists)
            {
                return null;
            }

            _sitesTableExists = true;
        }

        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT region_ods_code FROM sites WHERE ods_code = @ods", new { ods = siteOdsCode }, cancellationToken: cancellationToken));
    }
}
