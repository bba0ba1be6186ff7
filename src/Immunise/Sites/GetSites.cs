using System.Text;
using Dapper;
using Immunise.Common;
using Immunise.Storage;

namespace Immunise.Sites;

/// <summary>Which sites to list: by region, ICB, service offered and status, a page at a time in ODS-code order.</summary>
public sealed record SiteQuery(string? Region = null, string? Icb = null, string? Service = null, string? Status = null, int Page = 1, int PageSize = 50)
{
    public const int MaxPageSize = 500;
}

public sealed record SitePage(int Page, int PageSize, long Total, IReadOnlyList<Site> Sites);

/// <summary>Reads sites: one by ODS code, or a filtered page.</summary>
public sealed class GetSites(Database database)
{
    public async Task<Site?> FindAsync(string odsCode, CancellationToken cancellationToken = default)
    {
        if (!SiteRules.TryParseOdsCode(odsCode, out var ods))
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SiteRow>(new CommandDefinition(
            $"SELECT {SiteRow.Columns} FROM sites WHERE ods_code = @ods", new { ods }, cancellationToken: cancellationToken));
        return row?.ToSite();
    }

    public async Task<Result<SitePage>> ListAsync(SiteQuery query, CancellationToken cancellationToken = default)
    {
        var where = new StringBuilder(" WHERE 1 = 1");
        var parameters = new DynamicParameters();
        if (!string.IsNullOrWhiteSpace(query.Region))
        {
            where.Append(" AND s.region_ods_code = @region");
            parameters.Add("region", query.Region.Trim().ToUpperInvariant());
        }

        if (!string.IsNullOrWhiteSpace(query.Icb))
        {
            where.Append(" AND s.icb_ods_code = @icb");
            parameters.Add("icb", query.Icb.Trim().ToUpperInvariant());
        }

        if (!string.IsNullOrWhiteSpace(query.Service))
        {
            if (SiteRules.CanonicalService(query.Service) is not { } service)
            {
                return Failure.Invalid("unknown-service", $"The service must be one of: {string.Join(", ", SiteRules.KnownServices)}.", "service");
            }

            where.Append(" AND EXISTS (SELECT 1 FROM site_services ss WHERE ss.service = @service AND ss.ods_code = s.ods_code)");
            parameters.Add("service", service);
        }

        if (!string.IsNullOrWhiteSpace(query.Status))
        {
            var status = query.Status.Trim().ToLowerInvariant();
            if (status is not (SiteRules.Online or SiteRules.Offline))
            {
                return Failure.Invalid("invalid-status", "The status must be online or offline.", "status");
            }

            where.Append(" AND s.status = @status");
            parameters.Add("status", status);
        }

        if (query.Page < 1 || query.PageSize is < 1 or > SiteQuery.MaxPageSize)
        {
            return Failure.Invalid("invalid-page", $"page must be 1 or more and pageSize 1 to {SiteQuery.MaxPageSize}.", "page");
        }

        parameters.Add("limit", query.PageSize);
        parameters.Add("offset", (query.Page - 1) * query.PageSize);
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM sites s{where}", parameters, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<SiteRow>(new CommandDefinition(
            $"SELECT {SiteRow.Columns} FROM sites s{where} ORDER BY s.ods_code LIMIT @limit OFFSET @offset", parameters, cancellationToken: cancellationToken));
        return new SitePage(query.Page, query.PageSize, total, rows.Select(r => r.ToSite()).ToList());
    }
}
