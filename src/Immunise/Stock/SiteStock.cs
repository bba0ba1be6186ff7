using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Records;
using Immunise.Storage;
using Immunise.Vaccines;

namespace Immunise.Stock;

/// <summary>A batch as it arrives: product (dm+d code), batch number, expiry date and doses received.</summary>
public sealed record ReceiveBatchRequest(string? ProductCode, string? BatchNumber, DateOnly? ExpiresOn, int? DosesReceived);

/// <summary>A site's stock on a day: every batch with its status, and the in-date doses left per product.</summary>
public sealed record SiteStockView(string SiteOdsCode, DateOnly Today, IReadOnlyList<(StockBatch Batch, StockStatus Status)> Batches)
{
    public IReadOnlyDictionary<string, int> InDateDosesByProduct =>
        Batches.Where(b => b.Status is StockStatus.InDate or StockStatus.RunningOut)
            .GroupBy(b => b.Batch.ProductCode)
            .ToDictionary(g => g.Key, g => g.Sum(b => b.Batch.DosesLeft), StringComparer.Ordinal);
}

/// <summary>
/// Stock at a site: receive a batch, record wastage, use a dose (called when a vaccination is recorded), and the site's
/// view of what is in date and running out. Counts change with one conditional UPDATE each, so two clinicians drawing
/// the last dose at once cannot take it below zero. Receipts and wastage are audited.
/// </summary>
public sealed class SiteStock(Database database, TimeProvider clock, VaccineCatalogue catalogue, AuditLog audit)
{
    private const string Columns = "id, site_ods_code, product_code, batch_number, expires_on, doses_received, doses_used, doses_wasted, received_at";
    private static readonly Failure s_batchNotFound = Failure.NotFound("batch-not-found", "No batch with this id is held at this site.");

    public async Task<Result<StockBatch>> ReceiveAsync(string siteOdsCode, ReceiveBatchRequest request, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!StockRules.TryParseSite(siteOdsCode, out var site))
        {
            return Failure.Invalid("invalid-ods-code", "The site's ODS code is not valid.", "odsCode");
        }

        if (catalogue.FindProduct(request.ProductCode?.Trim()) is not { } product)
        {
            return Failure.Invalid("unknown-product", "Choose a vaccine product from the catalogue.", "productCode");
        }

        if (!StockRules.TryParseBatchNumber(request.BatchNumber, out var batchNumber))
        {
            return Failure.Invalid("invalid-batch-number", "Enter the batch number as printed on the pack: letters, digits, hyphens or slashes, up to 40.", "batchNumber");
        }

        if (request.ExpiresOn is not { } expires)
        {
            return Failure.Invalid("missing-expiry", "Enter the batch's expiry date.", "expiresOn");
        }

        if (expires < London.Today(clock))
        {
            return Failure.Invalid("batch-expired", "This batch has already expired: it cannot be received into stock.", "expiresOn");
        }

        if (request.DosesReceived is not (>= 1 and <= 100_000) || request.DosesReceived is not { } doses)
        {
            return Failure.Invalid("invalid-doses", "Enter the number of doses received, from 1 to 100,000.", "dosesReceived");
        }

        var batch = new StockBatch(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), site, product.Code, batchNumber, expires, doses, 0, 0, clock.GetUtcNow());
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO stock_batches ({Columns}, received_by) VALUES (@Id, @SiteOdsCode, @ProductCode, @BatchNumber, @ExpiresOn, @DosesReceived, 0, 0, @ReceivedAt, @by)",
                new { batch.Id, batch.SiteOdsCode, batch.ProductCode, batch.BatchNumber, batch.ExpiresOn, batch.DosesReceived, batch.ReceivedAt, by = actor.Id },
                transaction, cancellationToken: cancellationToken));
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            return Failure.Conflict("duplicate-batch", "This batch of this product is already in the site's stock.", "batchNumber");
        }

        await audit.WriteAsync(connection, transaction, new AuditEntry(actor, "stock.batch-received", ResourceType: "StockBatch", ResourceId: batch.Id,
            Purpose: $"site {site}, {batch.DosesReceived} doses"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return batch;
    }

    /// <summary>Records doses wasted from a batch; refused when the batch has fewer doses left.</summary>
    public async Task<Result<StockBatch>> RecordWastageAsync(string siteOdsCode, string batchId, int? doses, string? reason, Actor actor,
        CancellationToken cancellationToken = default)
    {
        if (!StockRules.TryParseSite(siteOdsCode, out var site) || batchId.Length > 64)
        {
            return s_batchNotFound;
        }

        if (doses is not (>= 1 and <= 100_000))
        {
            return Failure.Invalid("invalid-doses", "Enter the number of doses wasted, from 1.", "doses");
        }

        var why = reason?.Trim().ToLowerInvariant();
        if (why is null || !StockRules.WastageReasons.Contains(why))
        {
            return Failure.Invalid("invalid-reason", $"Choose why the doses were wasted: {string.Join(", ", StockRules.WastageReasons)}.", "reason");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE stock_batches SET doses_wasted = doses_wasted + @doses
            WHERE id = @batchId AND site_ods_code = @site AND doses_used + doses_wasted + @doses <= doses_received
            """,
            new { batchId, site, doses }, transaction, cancellationToken: cancellationToken));
        if (rows == 0)
        {
            var exists = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT COUNT(*) FROM stock_batches WHERE id = @batchId AND site_ods_code = @site", new { batchId, site }, transaction, cancellationToken: cancellationToken));
            return exists == 0 ? s_batchNotFound : Failure.Conflict("not-enough-doses", "The batch does not have that many doses left.", "doses");
        }

        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO stock_wastage (id, batch_id, doses, reason, recorded_at, recorded_by) VALUES (@id, @batchId, @doses, @why, @now, @by)",
            new { id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), batchId, doses, why, now, by = actor.Id }, transaction, cancellationToken: cancellationToken));
        await audit.WriteAsync(connection, transaction, new AuditEntry(actor, "stock.wastage-recorded", ResourceType: "StockBatch", ResourceId: batchId,
            Purpose: $"{doses} doses, {why}"), cancellationToken);
        var batch = await FindAsync(connection, transaction, site, batchId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return batch!;
    }

    /// <summary>
    /// Takes one dose of <paramref name="productCode"/> from batch <paramref name="batchNumber"/> at the site, on
    /// <paramref name="day"/>: refused (<c>batch-unknown</c>, <c>batch-expired</c>, <c>batch-empty</c>) when the site holds
    /// no such batch, it is past its expiry date, or nothing is left. Runs in the caller's transaction, so recording the
    /// vaccination and using the dose commit together.
    /// </summary>
    public async Task<Result<StockBatch>> UseDoseAsync(DbConnection connection, DbTransaction? transaction, string siteOdsCode, string? productCode,
        string? batchNumber, DateOnly day, CancellationToken cancellationToken = default)
    {
        if (!StockRules.TryParseSite(siteOdsCode, out var site) || !StockRules.TryParseBatchNumber(batchNumber, out var number) || productCode is null)
        {
            return Failure.Invalid("batch-unknown", "The site holds no batch with this number for this product.", "batchNumber");
        }

        var batch = await connection.QuerySingleOrDefaultAsync<BatchRow>(new CommandDefinition(
            $"UPDATE stock_batches SET doses_used = doses_used + 1 WHERE site_ods_code = @site AND product_code = @productCode AND batch_number = @number "
            + $"AND expires_on >= @day AND doses_used + doses_wasted < doses_received RETURNING {Columns}",
            new { site, productCode, number, day }, transaction, cancellationToken: cancellationToken));
        if (batch is not null)
        {
            return batch.ToBatch();
        }

        var found = await connection.QuerySingleOrDefaultAsync<BatchRow>(new CommandDefinition(
            $"SELECT {Columns} FROM stock_batches WHERE site_ods_code = @site AND product_code = @productCode AND batch_number = @number",
            new { site, productCode, number }, transaction, cancellationToken: cancellationToken));
        return found is null
            ? Failure.Invalid("batch-unknown", "The site holds no batch with this number for this product.", "batchNumber")
            : found.ExpiresOn < day
                ? Failure.Invalid("batch-expired", "This batch has expired: it must not be used.", "batchNumber")
                : Failure.Conflict("batch-empty", "Every dose of this batch has been used or wasted.", "batchNumber");
    }

    /// <summary><see cref="UseDoseAsync(DbConnection, DbTransaction?, string, string?, string?, DateOnly, CancellationToken)"/> on its own.</summary>
    public async Task<Result<StockBatch>> UseDoseAsync(string siteOdsCode, string? productCode, string? batchNumber, DateOnly day, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await UseDoseAsync(connection, null, siteOdsCode, productCode, batchNumber, day, cancellationToken);
    }

    /// <summary>The site's batches, soonest expiry first, with their status today.</summary>
    public async Task<Result<SiteStockView>> ViewAsync(string siteOdsCode, CancellationToken cancellationToken = default)
    {
        if (!StockRules.TryParseSite(siteOdsCode, out var site))
        {
            return Failure.Invalid("invalid-ods-code", "The site's ODS code is not valid.", "odsCode");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<BatchRow>(new CommandDefinition(
            $"SELECT {Columns} FROM stock_batches WHERE site_ods_code = @site ORDER BY expires_on, product_code, batch_number",
            new { site }, cancellationToken: cancellationToken));
        var today = London.Today(clock);
        return new SiteStockView(site, today, rows.Select(r => r.ToBatch()).Select(b => (b, StockRules.Status(b, today))).ToList());
    }

    public async Task<StockBatch?> FindAsync(string siteOdsCode, string batchId, CancellationToken cancellationToken = default)
    {
        if (!StockRules.TryParseSite(siteOdsCode, out var site) || batchId.Length > 64)
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, null, site, batchId, cancellationToken);
    }

    private static async Task<StockBatch?> FindAsync(DbConnection connection, DbTransaction? transaction, string site, string batchId, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<BatchRow>(new CommandDefinition(
            $"SELECT {Columns} FROM stock_batches WHERE id = @batchId AND site_ods_code = @site", new { batchId, site }, transaction,
            cancellationToken: cancellationToken)))?.ToBatch();

    private sealed class BatchRow
    {
        public string Id { get; set; } = "";
        public string SiteOdsCode { get; set; } = "";
        public string ProductCode { get; set; } = "";
        public string BatchNumber { get; set; } = "";
        public DateOnly ExpiresOn { get; set; }
        public int DosesReceived { get; set; }
        public int DosesUsed { get; set; }
        public int DosesWasted { get; set; }
        public DateTimeOffset ReceivedAt { get; set; }

        public StockBatch ToBatch() => new(Id, SiteOdsCode, ProductCode, BatchNumber, ExpiresOn, DosesReceived, DosesUsed, DosesWasted, ReceivedAt);
    }
}
