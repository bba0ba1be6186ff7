namespace Immunise.Geography;

/// <summary>One postcode of the postcode directory, as the register stores it (ODS codes for region and ICB).</summary>
public sealed record PostcodeEntry(
    string Postcode,
    double Latitude,
    double Longitude,
    string? RegionOdsCode,
    string? IcbOdsCode,
    string? LsoaCode,
    int? DeprivationDecile,
    DateOnly? TerminatedOn = null);
