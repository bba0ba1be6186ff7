using Dapper;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Immunise.Vaccines;

namespace Immunise.Tests.Staff;

public sealed class StaffUseCaseTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private sealed class World : IAsyncDisposable
    {
        private World(TestDatabase db, FixedClock clock, AuditLog audit)
        {
            Db = db;
            Clock = clock;
            Audit = audit;
            Directory = new StaffDirectory(db.Database);
            Manage = new ManageStaff(db.Database, clock, audit, Directory);
            SignIn = new SignIn(db.Database, clock, audit, Directory, new StaffOptions { MaxFailedSignIns = 3, LockoutMinutes = 15 });
            Stock = new SiteStock(db.Database, clock, VaccineCatalogue.Default, audit);
            Search = new SearchAudit(db.Database, audit);
        }

        public TestDatabase Db { get; }

        public FixedClock Clock { get; }

        public AuditLog Audit { get; }

        public StaffDirectory Directory { get; }

        public ManageStaff Manage { get; }

        public SignIn SignIn { get; }

        public SiteStock Stock { get; }

        public SearchAudit Search { get; }

        public static async Task<World> CreateAsync(DatabaseProvider provider)
        {
            var db = await TestDatabase.CreateAsync(provider);
            var clock = new FixedClock(s_now);
            return new World(db, clock, new AuditLog(db.Database, clock));
        }

        public async Task<StaffUser> UserAsync(string email, Grant grant, string? password = StaffKit.Password)
        {
            var created = await Manage.CreateAsync(null, Actor.System("test"), email, "Test Person", grant, password);
            Assert.True(created.Succeeded, created.Failure?.ToString());
            return created.Value!.User;
        }

        public async Task<IReadOnlyList<AuditEvent>> AuditAsync(string action) =>
            (await Search.HandleAsync(new AuditQuery(Action: action))).Value!.Events;

        public async ValueTask DisposeAsync()
        {
            await Audit.DisposeAsync();
            await Db.DisposeAsync();
        }
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SignIn_WithTheRightPassword_SucceedsAndIsAudited(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);
        var user = await w.UserAsync("Nurse.Jones@Example.NHS.uk", Grant.Organisation(StaffRole.Clinician, "B87008"));

        var result = await w.SignIn.HandleAsync("  nurse.jones@example.nhs.uk ", StaffKit.Password, "corr-1");

        Assert.True(result.Succeeded);
        Assert.Equal(user.Id, result.Value!.Id);
        Assert.Equal("nurse.jones@example.nhs.uk", result.Value.Email);
        Assert.Equal([Grant.Organisation(StaffRole.Clinician, "B87008")], result.Value.Grants);
        var audited = Assert.Single(await w.AuditAsync("staff.signed-in"));
        Assert.Equal(("staff", user.Id, "corr-1"), (audited.ActorType, audited.ActorId, audited.CorrelationId));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SignIn_AfterRepeatedWrongPasswords_LocksTheAccountUntilTheLockoutEnds(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);
        var user = await w.UserAsync("locked@example.nhs.uk", Grant.Organisation(StaffRole.Receptionist, "B87008"));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("sign-in-refused", (await w.SignIn.HandleAsync(user.Email, "wrong-password-here", null)).Failure?.Code);
        }

        var whileLocked = await w.SignIn.HandleAsync(user.Email, StaffKit.Password, null);
        w.Clock.Advance(TimeSpan.FromMinutes(16));
        var afterwards = await w.SignIn.HandleAsync(user.Email, StaffKit.Password, null);

        Assert.Equal("sign-in-refused", whileLocked.Failure?.Code);
        Assert.True(afterwards.Succeeded);
        Assert.Single(await w.AuditAsync("staff.locked-out"));
        var failures = await w.AuditAsync("staff.sign-in-failed");
        Assert.Equal(["locked", "wrong-password", "wrong-password", "wrong-password"], failures.Select(f => f.Purpose));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SignIn_WithAnUnknownEmail_IsRefusedTheSameWayAndAuditedWithoutTheEmail(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);

        var result = await w.SignIn.HandleAsync("nobody@example.nhs.uk", "whatever-password", null);

        Assert.Equal(SignIn.Refused, result.Failure);
        var failed = Assert.Single(await w.AuditAsync("staff.sign-in-failed"));
        Assert.Equal(("anonymous", "unknown-account"), (failed.ActorType, failed.Purpose));
        Assert.DoesNotContain("nobody", $"{failed.ActorId} {failed.ResourceId} {failed.Purpose}", StringComparison.Ordinal);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Create_ByASiteManager_GrantsOnlySiteRolesAtTheirOwnSites(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);
        var manager = await w.UserAsync("manager@example.nhs.uk", Grant.Organisation(StaffRole.SiteManager, "B87008"));
        var actor = Actor.Staff(manager.Id);

        var here = await w.Manage.CreateAsync(manager, actor, "a@example.nhs.uk", "A", Grant.Organisation(StaffRole.Clinician, "B87008"));
        var elsewhere = await w.Manage.CreateAsync(manager, actor, "b@example.nhs.uk", "B", Grant.Organisation(StaffRole.Clinician, "C11111"));
        var admin = await w.Manage.CreateAsync(manager, actor, "c@example.nhs.uk", "C", Grant.National(StaffRole.NationalAdministrator));
        var shape = await w.Manage.CreateAsync(null, Actor.System("test"), "d@example.nhs.uk", "D", Grant.National(StaffRole.Clinician));
        var taken = await w.Manage.CreateAsync(manager, actor, "A@example.nhs.uk", "A again", Grant.Organisation(StaffRole.Clinician, "B87008"));

        Assert.True(here.Succeeded);
        Assert.NotNull(here.Value!.TemporaryPassword);
        Assert.True(here.Value.User.MustChangePassword);
        Assert.Equal("cannot-grant", elsewhere.Failure?.Code);
        Assert.Equal("cannot-grant", admin.Failure?.Code);
        Assert.Equal("role-scope-mismatch", shape.Failure?.Code);
        Assert.Equal("email-taken", taken.Failure?.Code);
        var granted = Assert.Single(await w.AuditAsync("staff.role-granted"), e => e.ResourceId == here.Value.User.Id);
        Assert.Equal(("staff", manager.Id, "clinician@organisation:B87008"), (granted.ActorType, granted.ActorId, granted.Purpose));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Revoke_ARole_TakesItAwayAndIsAudited(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);
        var admin = await w.UserAsync("admin@example.nhs.uk", Grant.National(StaffRole.NationalAdministrator));
        var user = await w.UserAsync("user@example.nhs.uk", Grant.Organisation(StaffRole.Clinician, "B87008"));

        var revoked = await w.Manage.RevokeAsync(admin, Actor.Staff(admin.Id), user.Id, Grant.Organisation(StaffRole.Clinician, "B87008"));
        var again = await w.Manage.RevokeAsync(admin, Actor.Staff(admin.Id), user.Id, Grant.Organisation(StaffRole.Clinician, "B87008"));
        var own = await w.Manage.RevokeAsync(admin, Actor.Staff(admin.Id), admin.Id, Grant.National(StaffRole.NationalAdministrator));

        Assert.True(revoked.Succeeded);
        Assert.Equal("grant-not-found", again.Failure?.Code);
        Assert.Equal("cannot-revoke-own-administrator", own.Failure?.Code);
        Assert.Empty((await w.Directory.FindAsync(user.Id))!.Grants);
        Assert.Single(await w.AuditAsync("staff.role-revoked"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ChangePassword_NeedsTheCurrentOneAndAStrongNewOne_AndChangesTheSecurityStamp(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);
        var user = await w.UserAsync("change@example.nhs.uk", Grant.Organisation(StaffRole.Clinician, "B87008"));
        var change = new ChangePassword(w.Db.Database, w.Clock, w.Audit);

        var wrong = await change.HandleAsync(user.Id, "not-the-password", "a-brand-new-password");
        var weak = await change.HandleAsync(user.Id, StaffKit.Password, "short");
        var changed = await change.HandleAsync(user.Id, StaffKit.Password, "a-brand-new-password");

        Assert.Equal("wrong-current-password", wrong.Failure?.Code);
        Assert.Equal("password-too-short", weak.Failure?.Code);
        Assert.True(changed.Succeeded);
        Assert.NotEqual(user.SecurityStamp, (await w.Directory.FindAsync(user.Id))!.SecurityStamp);
        Assert.False((await w.SignIn.HandleAsync(user.Email, StaffKit.Password, null)).Succeeded);
        Assert.True((await w.SignIn.HandleAsync(user.Email, "a-brand-new-password", null)).Succeeded);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportStaffUsers_GoodAndBadRows_StoresTheGoodRejectsTheBadAndIsRepeatable(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);
        var import = new ImportStaffUsers(w.Manage, w.Directory);
        const string csv = """
            email,display_name,role,scope
            ann@example.nhs.uk,Ann Able,clinician,organisation:B87008
            ann@example.nhs.uk,Ann Able,receptionist,B87008
            bob@example.nhs.uk,Bob Baker,regional-manager,region:Y56
            not-an-email,Cat,clinician,B87008
            dan@example.nhs.uk,Dan,astronaut,B87008
            eve@example.nhs.uk,Eve,national-administrator,organisation:B87008
            fay@example.nhs.uk,Fay,clinician,somewhere:B87008
            """;

        var rejects = new StringWriter();
        var first = await import.HandleAsync(new StringReader(csv), rejects);
        var second = await import.HandleAsync(new StringReader(csv), new StringWriter());

        Assert.Equal((7L, 2L, 1L, 0L, 4L), (first.Value!.Read, first.Value.Inserted, first.Value.Updated, first.Value.Unchanged, first.Value.Rejected));
        Assert.Equal(
            "line,reason\n5,invalid-email: The email address is missing or not in the correct format.\n"
            + "6,\"unknown-role: The role must be one of: national-administrator, regional-manager, site-manager, clinician, receptionist, gp-practice-user, call-centre-agent, analyst.\"\n"
            + "7,role-scope-mismatch: National administrator cannot be granted at organisation scope.\n"
            + "8,\"invalid-scope: The scope must be national, region:CODE or organisation:CODE (an ODS code).\"\n",
            rejects.ToString());
        Assert.Equal((0L, 0L, 3L, 4L), (second.Value!.Inserted, second.Value.Updated, second.Value.Unchanged, second.Value.Rejected));
        var ann = await w.Directory.FindByEmailAsync("ann@example.nhs.uk");
        Assert.Equal(2, ann!.Grants.Count);
        Assert.False(ann.HasPassword);
        Assert.Equal("sign-in-refused", (await w.SignIn.HandleAsync("ann@example.nhs.uk", "", null)).Failure?.Code);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task AuditEvents_CannotBeChangedOrRemoved(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);
        await w.UserAsync("someone@example.nhs.uk", Grant.National(StaffRole.Analyst));
        await using var connection = await w.Db.Database.OpenAsync();

        var update = await Record.ExceptionAsync(() => connection.ExecuteAsync("UPDATE audit_events SET actor_id = 'someone-else'"));
        var delete = await Record.ExceptionAsync(() => connection.ExecuteAsync("DELETE FROM audit_events"));

        Assert.IsAssignableFrom<System.Data.Common.DbException>(update);
        Assert.IsAssignableFrom<System.Data.Common.DbException>(delete);
        Assert.Contains("append-only", update!.Message, StringComparison.Ordinal);
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM audit_events WHERE actor_id = 'test'"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SearchAudit_FiltersByActorActionPersonAndTime_AndExportsCsv(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);
        var nhs = People.NhsNumber.Parse("9434765919");
        await w.Audit.WriteAsync(new AuditEntry(Actor.Staff("s1"), "person.read", nhs, "Person", nhs.Value, "staff-page"));
        w.Clock.Advance(TimeSpan.FromHours(2));
        await w.Audit.WriteAsync(new AuditEntry(Actor.Staff("s2"), "person.read", nhs, "Person", nhs.Value, "with, a comma"));
        await w.Audit.WriteAsync(new AuditEntry(Actor.Staff("s1"), "staff.signed-in"));

        var byActor = await w.Search.HandleAsync(new AuditQuery(ActorId: "s1"));
        var byPerson = await w.Search.HandleAsync(new AuditQuery(NhsNumber: "943 476 5919"));
        var byPrefix = await w.Search.HandleAsync(new AuditQuery(Action: "staff.*"));
        var byTime = await w.Search.HandleAsync(new AuditQuery(Action: "person.read", From: s_now.AddHours(1)));
        var paged = await w.Search.HandleAsync(new AuditQuery(Limit: 2));
        var badNhs = await w.Search.HandleAsync(new AuditQuery(NhsNumber: "123"));
        var csv = new StringWriter();
        var exported = await w.Search.ExportCsvAsync(new AuditQuery(NhsNumber: nhs.Value), csv);

        Assert.Equal(["staff.signed-in", "person.read"], byActor.Value!.Events.Select(e => e.Action));
        Assert.Equal(["s2", "s1"], byPerson.Value!.Events.Select(e => e.ActorId));
        Assert.Equal(["staff.signed-in"], byPrefix.Value!.Events.Select(e => e.Action));
        Assert.Equal(["s2"], byTime.Value!.Events.Select(e => e.ActorId));
        Assert.Equal(2, paged.Value!.Events.Count);
        Assert.NotNull(paged.Value.NextBeforeId);
        Assert.Single((await w.Search.HandleAsync(new AuditQuery(BeforeId: paged.Value.NextBeforeId))).Value!.Events);
        Assert.Equal("invalid-nhs-number", badNhs.Failure?.Code);
        Assert.Equal(2, exported.Value);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(SearchAudit.CsvHeader, lines[0]);
        Assert.EndsWith(",staff,s2,person.read,9434765919,Person,9434765919,\"with, a comma\",", lines[1], StringComparison.Ordinal);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Stock_ReceiveUseAndWaste_CountsDownAndRefusesWhatItMustNot(DatabaseProvider provider)
    {
        await using var w = await World.CreateAsync(provider);
        var actor = Actor.Staff("clinician-1");
        var today = new DateOnly(2026, 11, 20);

        var batch = await w.Stock.ReceiveAsync("b87008", new ReceiveBatchRequest(Products.Comirnaty, "fk1234", today.AddDays(60), 3), actor);
        var duplicate = await w.Stock.ReceiveAsync("B87008", new ReceiveBatchRequest(Products.Comirnaty, "FK1234", today.AddDays(60), 3), actor);
        var expired = await w.Stock.ReceiveAsync("B87008", new ReceiveBatchRequest(Products.Comirnaty, "OLD1", today.AddDays(-1), 3), actor);
        var unknown = await w.Stock.ReceiveAsync("B87008", new ReceiveBatchRequest("123", "X1", today.AddDays(10), 3), actor);
        var used = await w.Stock.UseDoseAsync("B87008", Products.Comirnaty, "FK1234", today);
        var wasted = await w.Stock.RecordWastageAsync("B87008", batch.Value!.Id, 1, "damaged", actor);
        var tooMany = await w.Stock.RecordWastageAsync("B87008", batch.Value.Id, 2, "damaged", actor);
        var otherSite = await w.Stock.RecordWastageAsync("C11111", batch.Value.Id, 1, "damaged", actor);
        var last = await w.Stock.UseDoseAsync("B87008", Products.Comirnaty, "FK1234", today);
        var empty = await w.Stock.UseDoseAsync("B87008", Products.Comirnaty, "FK1234", today);
        var notHere = await w.Stock.UseDoseAsync("B87008", Products.Comirnaty, "NOPE", today);
        var afterExpiry = await w.Stock.UseDoseAsync("B87008", Products.Comirnaty, "FK1234", today.AddDays(61));

        Assert.Equal(("B87008", "FK1234", 3), (batch.Value.SiteOdsCode, batch.Value.BatchNumber, batch.Value.DosesLeft));
        Assert.Equal("duplicate-batch", duplicate.Failure?.Code);
        Assert.Equal("batch-expired", expired.Failure?.Code);
        Assert.Equal("unknown-product", unknown.Failure?.Code);
        Assert.Equal(2, used.Value!.DosesLeft);
        Assert.Equal(1, wasted.Value!.DosesLeft);
        Assert.Equal("not-enough-doses", tooMany.Failure?.Code);
        Assert.Equal(FailureKind.NotFound, otherSite.Failure?.Kind);
        Assert.Equal(0, last.Value!.DosesLeft);
        Assert.Equal("batch-empty", empty.Failure?.Code);
        Assert.Equal("batch-unknown", notHere.Failure?.Code);
        Assert.Equal("batch-expired", afterExpiry.Failure?.Code);
        var view = (await w.Stock.ViewAsync("B87008")).Value!;
        var (shown, status) = Assert.Single(view.Batches);
        Assert.Equal((2, 1, StockStatus.Empty), (shown.DosesUsed, shown.DosesWasted, status));
        Assert.Single(await w.AuditAsync("stock.batch-received"));
        Assert.Single(await w.AuditAsync("stock.wastage-recorded"));
    }

    [Fact]
    public async Task AuditLines_WrittenInAChangesTransactionOnSqlite_StoreTheirTimeAsTheJournalsLoaderDoes()
    {
        await using var w = await World.CreateAsync(DatabaseProvider.Sqlite);
        var user = await w.UserAsync("when@example.nhs.uk", Grant.Organisation(StaffRole.Clinician, "B87008"));
        await w.Audit.WriteAsync(new AuditEntry(Actor.Staff(user.Id), "staff.signed-in"));
        await w.Audit.FlushAsync();
        await using var connection = await w.Db.Database.OpenAsync();

        var stored = (await connection.QueryAsync<string>("SELECT occurred_at FROM audit_events ORDER BY id")).ToList();

        Assert.Equal(3, stored.Count); // user created and role granted (in the transaction), signed in (through the journal)
        Assert.All(stored, at => Assert.Equal(Instant.Format(s_now), at));
    }

    [Fact]
    public void StockStatus_ByExpiryAndDosesLeft()
    {
        var today = new DateOnly(2026, 11, 20);
        StockBatch Batch(int daysToExpiry, int received, int used) => new("id", "B87008", Products.Comirnaty, "X", today.AddDays(daysToExpiry), received, used, 0, s_now);

        Assert.Equal(StockStatus.InDate, StockRules.Status(Batch(30, 300, 0), today));
        Assert.Equal(StockStatus.RunningOut, StockRules.Status(Batch(7, 300, 0), today));
        Assert.Equal(StockStatus.InDate, StockRules.Status(Batch(8, 300, 0), today));
        Assert.Equal(StockStatus.RunningOut, StockRules.Status(Batch(30, 300, 270), today));
        Assert.Equal(StockStatus.InDate, StockRules.Status(Batch(30, 300, 269), today));
        Assert.Equal(StockStatus.Empty, StockRules.Status(Batch(30, 300, 300), today));
        Assert.Equal(StockStatus.RunningOut, StockRules.Status(Batch(0, 300, 0), today));
        Assert.Equal(StockStatus.Expired, StockRules.Status(Batch(-1, 300, 0), today));
    }
}
