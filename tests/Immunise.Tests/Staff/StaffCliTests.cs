using Immunise.Staff;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Staff;

public sealed class StaffCliTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task UsersAddAdmin_CreatesANationalAdministratorWhoSignsInWithTheTemporaryPassword(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);

        var (code, output, error) = await RunAsync(db, "users", "add-admin", "--email", "First.Admin@example.nhs.uk", "--name", "First Admin");
        var again = await RunAsync(db, "users", "add-admin", "--email", "first.admin@example.nhs.uk", "--name", "First Admin");
        var invalid = await RunAsync(db, "users", "add-admin", "--email", "not-an-email", "--name", "X");

        Assert.Equal(0, code);
        Assert.Contains("will not be shown again", error, StringComparison.Ordinal);
        var password = output.Trim().Split('\n')[^1].Trim();
        await using var audit = new Audit.AuditLog(db.Database, TimeProvider.System);
        var directory = new StaffDirectory(db.Database);
        var signedIn = await new SignIn(db.Database, TimeProvider.System, audit, directory, new StaffOptions()).HandleAsync("first.admin@example.nhs.uk", password, null);
        Assert.True(signedIn.Succeeded);
        Assert.True(signedIn.Value!.MustChangePassword);
        Assert.Equal([Grant.National(StaffRole.NationalAdministrator)], signedIn.Value.Grants);
        Assert.Equal((1, "email-taken"), (again.Code, again.Error.Split(':')[0]));
        Assert.Equal((2, "invalid-email"), (invalid.Code, invalid.Error.Split(':')[0]));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task UsersImport_WithABadRow_ExitsOneAndWritesTheRejectsFile(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var file = Path.Combine(Path.GetTempPath(), $"staff-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, "email,display_name,role,scope\nann@example.nhs.uk,Ann,clinician,B87008\nbob@example.nhs.uk,Bob,clinician,region:Y56\n");
        try
        {
            var (code, output, error) = await RunAsync(db, "users", "import", file);

            Assert.Equal(1, code);
            Assert.Contains("inserted 1", output, StringComparison.Ordinal);
            Assert.Contains("rejected 1", output, StringComparison.Ordinal);
            Assert.Contains(".rejects.csv", error, StringComparison.Ordinal);
            Assert.Equal(["line,reason", "3,role-scope-mismatch: Clinician (vaccinator) cannot be granted at region scope."], await File.ReadAllLinesAsync(file + ".rejects.csv"));
            Assert.NotNull(await new StaffDirectory(db.Database).FindByEmailAsync("ann@example.nhs.uk"));
        }
        finally
        {
            File.Delete(file);
            File.Delete(file + ".rejects.csv");
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(TestDatabase db, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Immunise.Cli.Cli.RunAsync(
            [.. args, "--database", db.Provider == DatabaseProvider.Postgres ? "postgres" : "sqlite", "--connection-string", db.ConnectionString],
            output, error);
        return (code, output.ToString(), error.ToString());
    }
}
