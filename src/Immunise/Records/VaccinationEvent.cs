using Immunise.People;

namespace Immunise.Records;

public static class VaccinationStatus
{
    public const string Completed = "completed";
    public const string EnteredInError = "entered-in-error";
}

/// <summary>One vaccination given to one person, as the register holds it.</summary>
public sealed record VaccinationEvent(
    string Id,
    NhsNumber NhsNumber,
    string TargetDisease,
    string ProductCode,
    int DoseNumber,
    DateTimeOffset OccurredAt,
    string SiteOdsCode,
    string? BatchNumber,
    DateOnly? BatchExpiry,
    string? RouteCode,
    string? BodySiteCode,
    string? Performer,
    bool PrimarySource,
    string Status,
    DateTimeOffset RecordedAt,
    string RecordedBy,
    string? SourceSystem = null,
    string? SourceIdentifier = null,
    DateTimeOffset? EnteredInErrorAt = null,
    string? EnteredInErrorReason = null);

/// <summary>The Europe/London calendar, which the register uses for "the day" of an instant.</summary>
public static class London
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    public static DateOnly Day(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    public static DateOnly Today(TimeProvider clock) => Day(clock.GetUtcNow());
}
