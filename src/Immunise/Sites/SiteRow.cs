namespace Immunise.Sites;

/// <summary>A row of <c>sites</c> as Dapper reads it.</summary>
internal sealed class SiteRow
{
    public const string Columns =
        "ods_code, name, site_type, address, postcode, latitude, longitude, region_ods_code, icb_ods_code, accessibility, "
        + "information, services, products, status, created_at, updated_at, phone, email";

    public string OdsCode { get; set; } = "";
    public string Name { get; set; } = "";
    public string SiteType { get; set; } = "";
    public string Address { get; set; } = "";
    public string Postcode { get; set; } = "";
    public double Latitude { get; set; }
    public double Longitude { get; set; }
    public string? RegionOdsCode { get; set; }
    public string? IcbOdsCode { get; set; }
    public string Accessibility { get; set; } = "";
    public string? Information { get; set; }
    public string Services { get; set; } = "";
    public string Products { get; set; } = "";
    public string Status { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string? Phone { get; set; }
    public string? Email { get; set; }

    public Site ToSite() => new(
        OdsCode, Name, SiteType, Address, Postcode, Latitude, Longitude, RegionOdsCode, IcbOdsCode,
        SiteRules.Split(Accessibility), Information, SiteRules.Split(Services), SiteRules.Split(Products), Status, CreatedAt, UpdatedAt, Phone, Email);
}
