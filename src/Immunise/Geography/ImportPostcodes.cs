using System.Globalization;
using Immunise.Common;
using Immunise.Storage;
using NpgsqlTypes;

namespace Immunise.Geography;

/// <summary>
/// Loads a postcode directory: the ONS Postcode Directory (ONSPD) CSV — <c>pcds</c> (or <c>pcd</c>, <c>pcd2</c>),
/// <c>lat</c>, <c>long</c>, <c>nhser</c>, <c>icb</c>, <c>lsoa21</c>/<c>lsoa11</c>, <c>imd</c>, <c>doterm</c> — or our own
/// simple form (<c>postcode, latitude, longitude, region, icb, lsoa, deprivation_decile, terminated_on</c>). ONS region and
/// ICB codes become ODS codes; codes outside England become null. Upserts by postcode, changing nothing when re-run.
/// </summary>
public sealed class ImportPostcodes(Database database, ReferenceGeography? geography = null)
{
    /// <summary>Required columns; alternatives separated by <c>|</c>.</summary>
    public static readonly IReadOnlyList<string> RequiredColumns = ["pcds|pcd|pcd2|postcode", "lat|latitude", "long|longitude"];

    /// <summary>ONSPD's latitude for a postcode with no grid reference.</summary>
    public const double NoGridReferenceLatitude = 99.999999;

    /// <summary>Ranks in the English Index of Multiple Deprivation 2019 (LSOAs, 1 = most deprived).</summary>
    public const int EnglishImdRanks = 32_844;

    private readonly ReferenceGeography _geography = geography ?? ReferenceGeography.Default;

    public int? BatchSize { get; init; }

    public Task<ImportSummary> HandleAsync(IEnumerable<PostcodeEntry> postcodes, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default) =>
        HandleAsync(ImportRunner.Numbered(ImportRunner.ToAsync(postcodes), cancellationToken), null, progress, cancellationToken);

    public async Task<ImportSummary> HandleAsync(IAsyncEnumerable<ImportRow<PostcodeEntry>> rows, RejectsWriter? rejects = null, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        ImportRejection? CheckInFile(ImportRow<PostcodeEntry> row) => seen.Add(row.Value!.Postcode)
            ? null
            : new ImportRejection(row.Line, "duplicate-postcode", "This postcode is on an earlier row of the same file; the earlier row is used.");

        var batchSize = BatchSize ?? (database.Dialect.IsPostgres ? 100_000 : 50_000);
        await using var writer = await UpsertWriter.OpenAsync(database, new BulkUpsert<PostcodeEntry>("postcodes", Columns), cancellationToken);
        return await ImportRunner.RunAsync(rows, CheckInFile, writer, batchSize, rejects, progress, cancellationToken);
    }

    /// <summary>Imports a postcode CSV file. Fails up front (<c>missing-columns</c>) when the header lacks a required column.</summary>
    public async Task<Result<ImportSummary>> ImportCsvAsync(TextReader csv, RejectsWriter? rejects = null, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var opened = CsvTable.Open(csv, RequiredColumns);
        if (!opened.Succeeded)
        {
            return opened.Failure!;
        }

        using var table = opened.Value!;
        return await HandleAsync(ImportRunner.ToAsync(Rows(table)), rejects, progress, cancellationToken);
    }

    /// <summary>The English IMD rank (1 = most deprived of 32,844) as a decile, 1 = most deprived tenth.</summary>
    public static int DecileOfRank(int rank) => Math.Clamp((int)Math.Ceiling(rank / (EnglishImdRanks / 10.0)), 1, 10);

    private IEnumerable<ImportRow<PostcodeEntry>> Rows(CsvTable table)
    {
        var postcodeColumn = table.IndexOf("pcds|pcd|pcd2|postcode");
        var latitudeColumn = table.IndexOf("lat|latitude");
        var longitudeColumn = table.IndexOf("long|longitude");
        var regionColumn = table.IndexOf("nhser|region|region_ods_code");
        var icbColumn = table.IndexOf("icb|icb_ods_code");
        var lsoa21Column = table.IndexOf("lsoa21|lsoa|lsoa_code");
        var lsoa11Column = table.IndexOf("lsoa11");
        var imdColumn = table.IndexOf("imd");
        var decileColumn = table.IndexOf("deprivation_decile");
        var terminatedColumn = table.IndexOf("doterm|terminated_on");
        foreach (var record in table.Records())
        {
            if (record.IsMalformed)
            {
                yield return ImportRow<PostcodeEntry>.Reject(record.Line, "malformed-row", record.Error!);
                continue;
            }

            var f = record.Fields;
            var line = record.Line;
            if (!Postcode.TryNormalise(CsvField.Get(f, postcodeColumn), out var postcode))
            {
                yield return ImportRow<PostcodeEntry>.Reject(line, "invalid-postcode", "The postcode is missing or not a valid UK postcode.");
                continue;
            }

            if (!double.TryParse(CsvField.Get(f, latitudeColumn), NumberStyles.Float, CultureInfo.InvariantCulture, out var latitude)
                || !double.TryParse(CsvField.Get(f, longitudeColumn), NumberStyles.Float, CultureInfo.InvariantCulture, out var longitude))
            {
                yield return ImportRow<PostcodeEntry>.Reject(line, "invalid-coordinates", "lat and long must be decimal numbers.");
                continue;
            }

            if (Math.Abs(latitude - NoGridReferenceLatitude) < 1e-6)
            {
                yield return ImportRow<PostcodeEntry>.Reject(line, "no-grid-reference", "The postcode has no grid reference (lat 99.999999) so cannot be placed.");
                continue;
            }

            if (latitude is < -90 or > 90 || longitude is < -180 or > 180)
            {
                yield return ImportRow<PostcodeEntry>.Reject(line, "invalid-coordinates", "lat must be within ±90 and long within ±180.");
                continue;
            }

            var icb = _geography.FindIcb(CsvField.Get(f, icbColumn));
            var region = _geography.FindRegion(CsvField.Get(f, regionColumn)) ?? _geography.FindRegion(icb?.RegionOdsCode);

            int? decile = null;
            if (CsvField.Get(f, decileColumn) is { } decileText)
            {
                if (!int.TryParse(decileText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var d) || d is < 1 or > 10)
                {
                    yield return ImportRow<PostcodeEntry>.Reject(line, "invalid-deprivation-decile", "deprivation_decile must be a whole number from 1 to 10.");
                    continue;
                }

                decile = d;
            }
            else if (CsvField.Get(f, imdColumn) is { } imdText && region is not null)
            {
                // The imd column ranks each UK nation separately; only England's ranks (1..32,844) make English deciles.
                if (!int.TryParse(imdText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var rank) || rank < 1)
                {
                    yield return ImportRow<PostcodeEntry>.Reject(line, "invalid-imd-rank", "imd must be a whole-number rank of 1 or more.");
                    continue;
                }

                decile = DecileOfRank(rank);
            }

            DateOnly? terminated = null;
            if (CsvField.Get(f, terminatedColumn) is { } terminatedText)
            {
                if (terminatedText.Length == 6 && int.TryParse(terminatedText.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
                    && int.TryParse(terminatedText.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var month)
                    && year is >= 1900 and <= 9999 && month is >= 1 and <= 12)
                {
                    terminated = new DateOnly(year, month, 1);
                }
                else if (CsvField.TryParseDate(terminatedText, out var day))
                {
                    terminated = day;
                }
                else
                {
                    yield return ImportRow<PostcodeEntry>.Reject(line, "invalid-date", "doterm must be a year and month (yyyymm) or a date (yyyy-MM-dd).");
                    continue;
                }
            }

            yield return ImportRow<PostcodeEntry>.Accept(line, new PostcodeEntry(
                postcode, latitude, longitude, region?.OdsCode, icb?.OdsCode, CsvField.Get(f, lsoa21Column) ?? CsvField.Get(f, lsoa11Column), decile, terminated));
        }
    }

    internal static readonly IReadOnlyList<BulkColumn<PostcodeEntry>> Columns =
    [
        new("postcode", NpgsqlDbType.Text, BulkRole.Key, p => p.Postcode),
        new("latitude", NpgsqlDbType.Double, BulkRole.Compared, p => p.Latitude),
        new("longitude", NpgsqlDbType.Double, BulkRole.Compared, p => p.Longitude),
        new("region_ods_code", NpgsqlDbType.Text, BulkRole.Compared, p => p.RegionOdsCode),
        new("icb_ods_code", NpgsqlDbType.Text, BulkRole.Compared, p => p.IcbOdsCode),
        new("lsoa_code", NpgsqlDbType.Text, BulkRole.Compared, p => p.LsoaCode),
        new("deprivation_decile", NpgsqlDbType.Smallint, BulkRole.Compared, p => p.DeprivationDecile is { } d ? (short)d : null),
        new("terminated_on", NpgsqlDbType.Date, BulkRole.Compared, p => p.TerminatedOn),
    ];
}
