using Dapper;
using Immunise.Access;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Cli;

public sealed class CliTests
{
    [Fact]
    public async Task Cli_ImportPeopleWithBadRows_ExitsOneAndWritesTheRejectsFile()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var file = Path.Combine(Path.GetTempPath(), $"people-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file,
            "nhs_number,given_name,family_name,date_of_birth,sex,postcode\n9990000018,Ada,Lovelace,1950-03-01,F,LS1 4AP\n9990000019,Bad,Check,1950-01-01,F,LS1 4AP\n");
        try
        {
            var (code, output, error) = await RunAsync(db, "import", "people", file);

            Assert.Equal(1, code);
            Assert.Contains("inserted 1", output, StringComparison.Ordinal);
            Assert.Contains("rejected 1", output, StringComparison.Ordinal);
            Assert.Contains(".rejects.csv", error, StringComparison.Ordinal);
            var rejects = await File.ReadAllLinesAsync(file + ".rejects.csv");
            Assert.Equal(["line,nhs_number,reason", "3,,invalid-nhs-number: NHS number is not valid: the check digit does not match."], rejects);
        }
        finally
        {
            File.Delete(file);
            File.Delete(file + ".rejects.csv");
        }
    }

    [Fact]
    public async Task Cli_ImportPeopleMissingColumn_ExitsTwoAndStoresNothing()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var file = Path.Combine(Path.GetTempPath(), $"people-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, "nhs_number,given_name\n9990000018,Ada\n");
        try
        {
            var (code, _, error) = await RunAsync(db, "import", "people", file, "--json");

            Assert.Equal(2, code);
            Assert.Contains("missing-columns", error, StringComparison.Ordinal);
            Assert.Contains("family_name", error, StringComparison.Ordinal);
            Assert.False(File.Exists(file + ".rejects.csv"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Cli_ApiKeysCreate_PrintsAKeyThatVerifies(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);

        var (code, output, error) = await RunAsync(db, "apikeys", "create", "--name", "gp-system", "--scopes", "records:read,records:write");

        Assert.Equal(0, code);
        Assert.Contains("will not be shown again", error, StringComparison.Ordinal);
        var key = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("imm_", StringComparison.Ordinal));
        var client = await new ApiKeys(db.Database, TimeProvider.System).VerifyAsync(key);
        Assert.Equal("gp-system", client?.Name);
        Assert.True(client!.Has(Scopes.RecordsWrite));
    }

    [Fact]
    public async Task Cli_UnknownOption_ExitsTwo()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);

        var (code, _, _) = await RunAsync(db, "seed", "--peeple", "10");

        Assert.Equal(2, code);
    }

    [Fact]
    public async Task Cli_SeedThenExportPeople_WritesEveryPersonInTheImportFormat()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var file = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.csv");
        try
        {
            var (seeded, _, _) = await RunAsync(db, "seed", "--people", "300", "--seed", "3");
            var (exported, _, _) = await RunAsync(db, "export", "people", file);

            Assert.Equal((0, 0), (seeded, exported));
            var lines = await File.ReadAllLinesAsync(file);
            Assert.Equal(301, lines.Length);
            Assert.StartsWith("nhs_number,given_name,family_name,date_of_birth,sex,postcode", lines[0], StringComparison.Ordinal);
            await using var connection = await db.Database.OpenAsync();
            Assert.Equal(300, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM people"));
        }
        finally
        {
            File.Delete(file);
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
