using System.Globalization;
using System.Text.RegularExpressions;
using Immunise.Common;
using Immunise.Geography;
using Immunise.Vaccines;

namespace Immunise.Sites;

/// <summary>
/// A vaccination site as the booking service shows it: where it is, what it offers, whether it takes bookings
/// (<see cref="Status"/> online or offline), and how citizens reach it (<see cref="Phone"/>, <see cref="Email"/>).
/// </summary>
public sealed record Site(
    string OdsCode,
    string Name,
    string Type,
    string Address,
    string Postcode,
    double Latitude,
    double Longitude,
    string? RegionOdsCode,
    string? IcbOdsCode,
    IReadOnlyList<string> Accessibility,
    string? Information,
    IReadOnlyList<string> Services,
    IReadOnlyList<string> Products,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Phone = null,
    string? Email = null);

/// <summary>A site as a caller describes it (API body or CSV row), before it is checked and placed by its postcode.</summary>
public sealed record SiteDetails(
    string? OdsCode,
    string? Name,
    string? Type,
    string? Address,
    string? Postcode,
    IReadOnlyList<string>? Accessibility,
    string? Information,
    IReadOnlyList<string>? Services,
    IReadOnlyList<string>? Products,
    string? Status,
    string? Phone = null,
    string? Email = null);

/// <summary>A site's details once checked: canonical codes, known values only. <see cref="SiteRules.Validate"/> makes one.</summary>
public sealed record ValidSite(
    string OdsCode,
    string Name,
    string Type,
    string Address,
    string Postcode,
    IReadOnlyList<string> Accessibility,
    string? Information,
    IReadOnlyList<string> Services,
    IReadOnlyList<string> Products,
    string Status,
    string? Phone = null,
    string? Email = null);

/// <summary>The closed lists a site's fields are checked against, and the check itself (pure).</summary>
public static partial class SiteRules
{
    public const string Online = "online";
    public const string Offline = "offline";

    public static readonly IReadOnlyList<string> Types = ["vaccination-centre", "community-pharmacy", "gp-led", "hospital-hub"];

    /// <summary>The services a site or session may offer, as the National Booking Service names them.</summary>
    public static readonly IReadOnlyList<string> KnownServices =
        ["COVID:5-11", "COVID:12-17", "COVID:18+", "FLU:2-17", "FLU:18-64", "FLU:65+", "RSV:Adult"];

    public static readonly IReadOnlyList<string> AccessibilityFeatures =
    [
        "step-free-access", "accessible-toilet", "wheelchair-available", "disabled-parking", "parking", "hearing-loop",
        "bsl-interpreter", "translation-services", "quiet-room", "seating", "text-relay",
    ];

    public const int MaxNameLength = 200;
    public const int MaxAddressLength = 500;
    public const int MaxInformationLength = 2_000;
    public const int MaxEmailLength = 254;

    /// <summary>A known service in its canonical spelling (<c>covid:18+</c> → <c>COVID:18+</c>), or null.</summary>
    public static string? CanonicalService(string? value)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null : KnownServices.FirstOrDefault(s => string.Equals(s, trimmed, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Checks and normalises a list of services: at least one, all known, no repeats (order kept).</summary>
    public static Result<IReadOnlyList<string>> ValidateServices(IEnumerable<string>? services, string field = "services")
    {
        var result = new List<string>();
        foreach (var raw in services ?? [])
        {
            if (CanonicalService(raw) is not { } service)
            {
                return Failure.Invalid("unknown-service", $"Services must be some of: {string.Join(", ", KnownServices)}.", field);
            }

            if (!result.Contains(service))
            {
                result.Add(service);
            }
        }

        if (result.Count == 0)
        {
            return Failure.Invalid("missing-services", "At least one service is needed.", field);
        }

        return result;
    }

    /// <summary>An ODS code: 3 to 10 letters and digits, upper-cased.</summary>
    public static bool TryParseOdsCode(string? value, out string odsCode)
    {
        odsCode = (value ?? "").Trim().ToUpperInvariant();
        return odsCode.Length is >= 3 and <= 10 && odsCode.All(char.IsAsciiLetterOrDigit);
    }

    public static Result<ValidSite> Validate(SiteDetails details, VaccineCatalogue catalogue)
    {
        if (!TryParseOdsCode(details.OdsCode, out var ods))
        {
            return Failure.Invalid("invalid-ods-code", "The ODS code must be 3 to 10 letters and digits.", "odsCode");
        }

        var name = details.Name?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength)
        {
            return Failure.Invalid("invalid-name", $"The site's name must be 1 to {MaxNameLength} characters.", "name");
        }

        var type = (details.Type ?? "").Trim().ToLowerInvariant();
        if (!Types.Contains(type))
        {
            return Failure.Invalid("invalid-site-type", $"The type must be one of: {string.Join(", ", Types)}.", "type");
        }

        var address = details.Address?.Trim() ?? "";
        if (address.Length is 0 or > MaxAddressLength)
        {
            return Failure.Invalid("invalid-address", $"The address must be 1 to {MaxAddressLength} characters.", "address");
        }

        if (!Postcode.TryNormalise(details.Postcode, out var postcode))
        {
            return Failure.Invalid("invalid-postcode", "The postcode is missing or not a valid UK postcode.", "postcode");
        }

        var accessibility = new List<string>();
        foreach (var raw in details.Accessibility ?? [])
        {
            var feature = raw.Trim().ToLowerInvariant();
            if (feature.Length == 0)
            {
                continue;
            }

            if (!AccessibilityFeatures.Contains(feature))
            {
                return Failure.Invalid("unknown-accessibility", $"Accessibility features must be some of: {string.Join(", ", AccessibilityFeatures)}.", "accessibility");
            }

            if (!accessibility.Contains(feature))
            {
                accessibility.Add(feature);
            }
        }

        var information = string.IsNullOrWhiteSpace(details.Information) ? null : details.Information.Trim();
        if (information is { Length: > MaxInformationLength })
        {
            return Failure.Invalid("invalid-information", $"Information for citizens must be at most {MaxInformationLength} characters.", "information");
        }

        var services = ValidateServices(details.Services);
        if (!services.Succeeded)
        {
            return services.Failure!;
        }

        var products = new List<string>();
        foreach (var raw in details.Products ?? [])
        {
            var code = raw.Trim();
            if (code.Length == 0)
            {
                continue;
            }

            if (catalogue.FindProduct(code) is not { } product)
            {
                return Failure.Invalid("unknown-product", "A product code is not in the vaccine catalogue.", "products");
            }

            if (!products.Contains(product.Code))
            {
                products.Add(product.Code);
            }
        }

        var status = string.IsNullOrWhiteSpace(details.Status) ? Online : details.Status.Trim().ToLowerInvariant();
        if (status is not (Online or Offline))
        {
            return Failure.Invalid("invalid-status", "The status must be online or offline.", "status");
        }

        string? phone = null;
        if (!string.IsNullOrWhiteSpace(details.Phone))
        {
            if (!TryParsePhone(details.Phone, out var parsed))
            {
                return Failure.Invalid("invalid-phone", "The telephone number must be a UK number, like 0113 496 0000 or +44 113 496 0000.", "phone");
            }

            phone = parsed;
        }

        string? email = null;
        if (!string.IsNullOrWhiteSpace(details.Email))
        {
            email = details.Email.Trim();
            if (email.Length > MaxEmailLength || !EmailShape().IsMatch(email))
            {
                return Failure.Invalid("invalid-email", "The email address must be like vaccinations@example.nhs.uk.", "email");
            }
        }

        return new ValidSite(ods, name, type, address, postcode, accessibility, information, services.Value!, products, status, phone, email);
    }

    /// <summary>
    /// A UK telephone number as people write it (spaces, hyphens and brackets allowed): 0 then 9 or 10 digits, or +44 (and an
    /// optional trunk 0) then 9 or 10 digits. Kept as written, trimmed, with runs of spaces made one.
    /// </summary>
    public static bool TryParsePhone(string? input, out string phone)
    {
        phone = string.Join(' ', (input ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var digits = PhoneSeparators().Replace(phone, "");
        string? national = null;
        if (digits.StartsWith("+44", StringComparison.Ordinal))
        {
            national = digits[3..];
            if (national.StartsWith('0'))
            {
                national = national[1..]; // +44 (0)113 …: the bracketed trunk 0 is common
            }
        }
        else if (digits.StartsWith('0'))
        {
            national = digits[1..];
        }

        return phone.Length <= 25 && national is { Length: 9 or 10 } && !national.StartsWith('0') && national.All(char.IsAsciiDigit);
    }

    [GeneratedRegex(@"[\s()-]")]
    private static partial Regex PhoneSeparators();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailShape();

    /// <summary>Space-separated lists as the database stores them.</summary>
    internal static string Join(IEnumerable<string> values) => string.Join(' ', values);

    internal static IReadOnlyList<string> Split(string? stored) =>
        string.IsNullOrWhiteSpace(stored) ? [] : stored.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    internal static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
