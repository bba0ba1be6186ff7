using System.Diagnostics.CodeAnalysis;
using Immunise.Staff;

namespace Immunise.Stock;

/// <summary>A batch of one vaccine product received at a site.</summary>
public sealed record StockBatch(
    string Id,
    string SiteOdsCode,
    string ProductCode,
    string BatchNumber,
    DateOnly ExpiresOn,
    int DosesReceived,
    int DosesUsed,
    int DosesWasted,
    DateTimeOffset ReceivedAt)
{
    public int DosesLeft => DosesReceived - DosesUsed - DosesWasted;
}

/// <summary>How a batch stands on a day.</summary>
public enum StockStatus
{
    /// <summary>In date, with plenty left.</summary>
    InDate,

    /// <summary>In date, but few doses left or close to its expiry date: order more.</summary>
    RunningOut,

    /// <summary>Every dose used or wasted.</summary>
    Empty,

    /// <summary>Past its expiry date: it must not be used.</summary>
    Expired,
}

/// <summary>The stock rules, as pure functions.</summary>
public static class StockRules
{
    /// <summary>A batch expiring within this many days is running out.</summary>
    public const int ExpiringSoonDays = 7;

    /// <summary>Why doses are wasted.</summary>
    public static readonly IReadOnlyList<string> WastageReasons = ["expired", "damaged", "cold-chain-failure", "drawn-up-not-used", "other"];

    /// <summary>
    /// A batch on <paramref name="today"/>: expired after its expiry day; empty with no doses left; running out within
    /// <see cref="ExpiringSoonDays"/> of expiry or with at most a tenth of its doses (and at least 10) left.
    /// </summary>
    public static StockStatus Status(StockBatch batch, DateOnly today) =>
        batch.ExpiresOn < today ? StockStatus.Expired
        : batch.DosesLeft <= 0 ? StockStatus.Empty
        : batch.ExpiresOn <= today.AddDays(ExpiringSoonDays) || batch.DosesLeft <= Math.Max(10, batch.DosesReceived / 10) ? StockStatus.RunningOut
        : StockStatus.InDate;

    /// <summary>A batch number as printed on the pack: 1 to 40 letters, digits, hyphens or slashes; upper-cased.</summary>
    public static bool TryParseBatchNumber(string? input, [NotNullWhen(true)] out string? batchNumber)
    {
        batchNumber = input?.Trim().ToUpperInvariant();
        if (batchNumber is null || batchNumber.Length is 0 or > 40 || !batchNumber.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '/'))
        {
            batchNumber = null;
            return false;
        }

        return true;
    }

    public static bool TryParseSite(string? input, [NotNullWhen(true)] out string? odsCode) => StaffRoles.TryParseOdsCode(input, out odsCode);
}
