namespace Immunise.Web.Hosting;

/// <summary>
/// The service's own log messages, source-generated, with stable event ids. They carry ids, counts and codes only —
/// never names, NHS numbers, dates of birth or contact details.
/// </summary>
internal static partial class StartUpLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Database {Provider} migrated: {Applied} migration(s) applied, now at version {Version}")]
    public static partial void Migrated(ILogger logger, string provider, int applied, int version);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Seeding a demo population of {People} people if the register is empty")]
    public static partial void SeedingStarted(ILogger logger, int people);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Seeding: {Step}")]
    public static partial void SeedingProgress(ILogger logger, string step);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Demo population: {People} people, {Vaccinations} vaccinations, {Postcodes} postcodes (already seeded: {AlreadySeeded})")]
    public static partial void Seeded(ILogger logger, int people, int vaccinations, int postcodes, bool alreadySeeded);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Demo API key '{Name}' ensured (stored now: {Stored})")]
    public static partial void DemoKeyEnsured(ILogger logger, string name, bool stored);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Demo API key refused: {Code}")]
    public static partial void DemoKeyRefused(ILogger logger, string code);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Shipped campaign configs loaded: {Added} new version(s) of {Files} file(s)")]
    public static partial void ShippedCampaignsLoaded(ILogger logger, int added, int files);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error, Message = "Shipped campaign configs refused: {Errors}")]
    public static partial void ShippedCampaignsRefused(ILogger logger, string errors);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Information, Message = "Demo sites: {Sites} added with sessions for {Days} days (none when sites already exist)")]
    public static partial void SitesSeeded(ILogger logger, int sites, int days);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Demo staff accounts ensured: {Count}")]
    public static partial void DemoStaffEnsured(ILogger logger, int count);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Demo staff accounts refused: {Code}")]
    public static partial void DemoStaffRefused(ILogger logger, string code);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "Demo site's day at {Site}: site added {SiteAdded}, session added {SessionAdded}, {Appointments} appointments and {Batches} batches added")]
    public static partial void SiteDaySeeded(ILogger logger, string site, bool siteAdded, bool sessionAdded, int appointments, int batches);
}

/// <summary>Log messages for request failures: the trace id and a stable code, never the request's path or body.</summary>
internal static partial class RequestLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Unhandled {ExceptionType} while serving request {TraceId}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string exceptionType, string traceId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Request {TraceId} refused: {Status} {Code}")]
    public static partial void BadRequest(ILogger logger, string traceId, int status, string code);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "API key authentication failed for request {TraceId}: {Code}")]
    public static partial void AuthenticationFailed(ILogger logger, string traceId, string code);
}
