using Dapper;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Records;
using Immunise.Storage;

namespace Immunise.Sites;

/// <summary>A site's status after a change, and the confirmed appointments it has from today on (they stay as they are).</summary>
public sealed record SiteStatusChange(Site Site, bool Changed, int BookingsAhead);

/// <summary>
/// Takes a site offline or puts it back online. An offline site is not offered by the site search, has no availability and
/// no FHIR slots, and refuses holds and moves into its slots (<c>site-offline</c>); its appointments stay booked, and its
/// sessions stay published for when it is back. The change is audited (<c>site.taken-offline</c>, <c>site.back-online</c>)
/// in its own transaction; setting the status a site already has changes and audits nothing.
/// </summary>
public sealed class SetSiteStatus(Database database, TimeProvider clock, AuditLog audit)
{
    public async Task<Result<SiteStatusChange>> HandleAsync(string odsCode, string? status, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!SiteRules.TryParseOdsCode(odsCode, out var ods))
        {
            return SaveSite.NotFound;
        }

        var wanted = status?.Trim().ToLowerInvariant();
        if (wanted is not (SiteRules.Online or SiteRules.Offline))
        {
            return Failure.Invalid("invalid-status", "The status must be online or offline.", "status");
        }

        var now = clock.GetUtcNow();
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sites SET status = @wanted, updated_at = @now WHERE ods_code = @ods AND status <> @wanted",
            new { wanted, now, ods }, transaction, cancellationToken: cancellationToken)) > 0;
        var row = await connection.QuerySingleOrDefaultAsync<SiteRow>(new CommandDefinition(
            $"SELECT {SiteRow.Columns} FROM sites WHERE ods_code = @ods", new { ods }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return SaveSite.NotFound;
        }

        var ahead = await BookingsAheadAsync(connection, transaction, ods, London.Day(now), cancellationToken);
        if (changed)
        {
            await audit.WriteAsync(connection, transaction, new AuditEntry(actor, wanted == SiteRules.Offline ? "site.taken-offline" : "site.back-online",
                ResourceType: "Site", ResourceId: ods, Purpose: $"confirmed appointments from today: {ahead}"), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new SiteStatusChange(row.ToSite(), changed, ahead);
    }

    /// <summary>Confirmed appointments at the site from <paramref name="from"/> on (by their slot's day).</summary>
    internal static async Task<int> BookingsAheadAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string ods, DateOnly from,
        CancellationToken cancellationToken) =>
        (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            SELECT COUNT(*) FROM slots sl JOIN bookings b ON b.slot_id = sl.id
            WHERE sl.site_ods_code = @ods AND sl.slot_date >= @from AND b.status = 'booked'
            """,
            new { ods, from }, transaction, cancellationToken: cancellationToken));
}
