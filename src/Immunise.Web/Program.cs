using Immunise.Access;
using Immunise.Audit;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Eligibility;
using Immunise.Notifications;
using Immunise.People;
using Immunise.Records;
using Immunise.Seeding;
using Immunise.SiteDay;
using Immunise.Sites;
using Immunise.Stock;
using Immunise.Storage;
using Immunise.Vaccines;
using Immunise.Web.Access;
using Immunise.Web.Api;
using Immunise.Web.Fhir;
using Immunise.Web.Hosting;
using Immunise.Web.Pages.Book;
using Immunise.Web.Pages.Manage;
using Immunise.Web.Staff;
using Immunise.Web.WaitingRoom;
using Immunise.WaitingRoom;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

var builder = WebApplication.CreateBuilder(args);

// Options: where the data lives, and what a development start-up prepares (Hosting/StartUp.cs).
var databaseOptions = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
builder.Services.AddOptions<StartUpOptions>()
    .Bind(builder.Configuration.GetSection(StartUpOptions.Section))
    .ValidateDataAnnotations()
    .ValidateOnStart();

// Logs: JSON lines, no personal data (framework categories that log paths are capped in code: Hosting/PersonalDataLogging.cs).
builder.Logging.ClearProviders();
builder.Logging.AddJsonConsole();
builder.Logging.CapPathLogging();

// Services: the register's use cases over one database.
builder.Services.AddSingleton(databaseOptions);
builder.Services.AddSingleton<Database>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(VaccineCatalogue.Default);
builder.Services.AddSingleton<ApiKeys>();
builder.Services.AddSingleton<AuditLog>();
builder.Services.AddSingleton<GetPerson>();
builder.Services.AddSingleton<GetVaccinationHistory>();
builder.Services.AddSingleton<RecordVaccination>();
builder.Services.AddSingleton<MarkEnteredInError>();
builder.Services.AddSingleton<DemoData>();
builder.Services.AddSingleton(builder.Configuration.GetSection(RegisterOptions.Section).Get<RegisterOptions>() ?? new RegisterOptions());
builder.Services.AddSingleton<CampaignStore>();
builder.Services.AddSingleton<RegisterPersonData>();
builder.Services.AddSingleton<CountCohorts>();
builder.Services.AddSingleton<BookingCheck>();

// Notifications: the outbox, and its dispatcher to GOV.UK Notify (or, with no key, rendered and kept locally).
var notificationOptions = NotificationSetup.Options(builder.Configuration);
builder.Services.AddSingleton(notificationOptions);
builder.Services.AddSingleton<Outbox>();
builder.Services.AddSingleton<NotificationReport>();
builder.Services.AddSingleton<AppointmentReminders>();
builder.Services.AddSingleton(sp => NotificationSetup.Sender(notificationOptions, sp.GetRequiredService<TimeProvider>()));
builder.Services.AddSingleton(sp => new NotificationDispatcher(
    sp.GetRequiredService<Database>(), notificationOptions, sp.GetRequiredService<IMessageSender>(), sp.GetRequiredService<TimeProvider>()));
if (notificationOptions.DispatcherEnabled)
{
    builder.Services.AddHostedService<NotificationWorker>();
}

// Booking: sites, availability, holds and bookings; lapsed holds are released in the background (Booking/ReleaseExpiredHolds.cs).
builder.Services.AddSingleton<SaveSite>();
builder.Services.AddSingleton<GetSites>();
builder.Services.AddSingleton<FindSites>();
builder.Services.AddSingleton<PublishSessions>();
builder.Services.AddSingleton<EditSession>();
builder.Services.AddSingleton<CancelSessions>();
builder.Services.AddSingleton<IdempotencyKeys>();
builder.Services.AddSingleton<GetAvailability>();
builder.Services.AddSingleton<SearchSlots>();
builder.Services.AddSingleton<HoldSlot>();
builder.Services.AddSingleton<ConfirmBooking>();
builder.Services.AddSingleton<CancelBooking>();
builder.Services.AddSingleton<RescheduleBooking>();
builder.Services.AddSingleton<GetBooking>();
builder.Services.AddSingleton<ReleaseExpiredHolds>();
builder.Services.AddOptions<BookingOptions>().Bind(builder.Configuration.GetSection(BookingOptions.Section));
builder.Services.AddHostedService<HoldReleaser>();

// Site management (Pages/Staff/Sites): a site's status, and its sessions, templates and week's figures as site managers read them.
builder.Services.AddSingleton<SetSiteStatus>();
builder.Services.AddSingleton<SiteSchedule>();
// Waiting room (D8, docs/waiting-room.md): its counters in the database, read by each node at most once a second; signed
// tickets and admission tokens; a gate in front of /book and the booking API's holds and confirmations; the admission ticker.
builder.Services.AddOptions<WaitingRoomOptions>().Bind(builder.Configuration.GetSection(WaitingRoomOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WaitingRoomOptions>>().Value);
builder.Services.AddSingleton<SigningKeys>();
builder.Services.AddSingleton<QueueSigning>();
builder.Services.AddSingleton<QueueCounters>();
builder.Services.AddSingleton<LastSeen>();
builder.Services.AddSingleton<IssueTickets>();
builder.Services.AddSingleton<QueueStatus>();
builder.Services.AddSingleton<AdmitVisitors>();
builder.Services.AddSingleton<ChangeWaitingRoom>();
builder.Services.AddSingleton<WaitingRoomFigures>();
builder.Services.AddSingleton<WaitingRoomDoor>();
builder.Services.AddHostedService<WaitingRoomWorker>();
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.TypeInfoResolverChain.Insert(0, QueueJsonContext.Default);
    o.SerializerOptions.TypeInfoResolverChain.Insert(1, RegisterJsonContext.Default);
});

// HTTP: errors as ProblemDetails or OperationOutcome, API-key authentication with one policy per scope.
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ErrorHandler>();
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
    .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(Scopes.RecordsRead, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, Scopes.RecordsRead))
    .AddPolicy(Scopes.RecordsWrite, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, Scopes.RecordsWrite))
    .AddPolicy(Scopes.EligibilityRead, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, Scopes.EligibilityRead))
    .AddPolicy(Scopes.CampaignsWrite, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, Scopes.CampaignsWrite))
    .AddPolicy(Scopes.NotificationsRead, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, Scopes.NotificationsRead))
    .AddPolicy(Scopes.BookingRead, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, Scopes.BookingRead))
    .AddPolicy(Scopes.BookingWrite, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, Scopes.BookingWrite))
    .AddPolicy(Scopes.SitesWrite, p => p.RequireClaim(ApiKeyAuthentication.ScopeClaim, Scopes.SitesWrite));

// Staff: accounts, roles and cookie sign-in beside the API keys; every staff page and endpoint declares its roles and scope
// (Staff/StaffAccess.cs). Stock per site, the audit search, and Data Protection keys shared through the database (D10).
builder.Services.AddStaffAccess(builder.Configuration);
builder.Services.AddSingleton<SiteStock>();
builder.Services.AddSingleton<SearchAudit>();
builder.Services.AddSingleton<DataProtectionKeys>();
builder.Services.AddDataProtection().SetApplicationName("Immunise");
builder.Services.AddOptions<KeyManagementOptions>().Configure<DataProtectionKeys>((o, keys) => o.XmlRepository = keys);

// The site's day (SiteDay/): the appointment list, check-in, vaccinations recorded (with stock and the register in one
// transaction), "not vaccinated", walk-ins; appointments left open when a site's day ends become did-not-attend in the background.
builder.Services.AddSingleton<GetSiteDay>();
builder.Services.AddSingleton<CheckIn>();
builder.Services.AddSingleton<VaccinationPlanner>();
builder.Services.AddSingleton<RecordSiteVaccination>();
builder.Services.AddSingleton<RecordNotVaccinated>();
builder.Services.AddSingleton<MarkDidNotAttend>();
builder.Services.AddOptions<SiteDayOptions>().Bind(builder.Configuration.GetSection(SiteDayOptions.Section));
builder.Services.AddHostedService<DidNotAttendWorker>();

builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
builder.Services.AddOpenApi(o => o.AddDocumentTransformer<ApiKeySecurityTransformer>().AddOperationTransformer<ApiKeySecurityTransformer>());
// Pages declare who may see them: staff pages with [StaffAccess]; the public and citizen pages here.
builder.Services.AddRazorPages(o => o.Conventions
    .AllowAnonymousToPage("/Index")
    .AllowAnonymousToFolder("/Book")
    .AllowAnonymousToFolder("/Queue")
    .AllowAnonymousToFolder("/Manage"));

// The citizen journey (Pages/Book, Pages/Manage): its state in protected cookies, the register match, plain-English eligibility.
builder.Services.AddSingleton<MatchPerson>();
builder.Services.AddSingleton<BookingJourneyStore>();
builder.Services.AddSingleton<ManageStateStore>();
builder.Services.AddSingleton<JourneyEligibility>();

var app = builder.Build();

// Start-up: migrate, seed the demo population, ensure the demo key; the banner prints once the server listens.
await StartUp.PrepareAsync(app);

// Middleware, outermost first.
app.UseExceptionHandler();
app.UseStatusCodePages(ErrorHandler.WriteStatusCodePageAsync);
app.UseMiddleware<SecurityHeaders>();
app.UseMiddleware<RequestBodyLimit>();
app.UseStaticFiles();
app.UseStaticFiles(NhsukAssets.Options(app.Environment));
if (!app.Environment.IsDevelopment())
{
    app.UseHsts();
}

app.UseMiddleware<QueueGate>();
app.UseRateLimiter();
app.UseAuthentication();
app.UseAuthorization();

// Endpoints.
app.MapRazorPages();
app.MapOpenApi().AllowAnonymous();
app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
app.MapGet("/api/v1/ping", () => GeneratedJson.Ok(new PingResponse("ok"), RegisterJsonContext.Default.PingResponse)).WithName("Ping").WithTags("Service").AllowAnonymous();
app.MapBenchmarkBaselines();
app.MapRegisterEndpoints();
app.MapFhirEndpoints();
app.MapEligibilityEndpoints();
app.MapBookingCheckEndpoints();
app.MapNotificationEndpoints();
app.MapSiteEndpoints();
app.MapBookingEndpoints();
app.MapBookingFhirEndpoints();
app.MapQueueEndpoints();
app.MapStaffEndpoints();
app.MapSiteDayEndpoints();

app.Run();

public partial class Program;
