using Dapper;
using Immunise.Geography;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Booking;

/// <summary><c>immunise import sites FILE.csv</c> on SQLite and PostgreSQL.</summary>
public sealed class SiteImportTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Cli_ImportSites_ValidRowsStoredEachBadRowRejectedWithLineAndReason_ReimportChangesNothing(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await new ImportPostcodes(db.Database).HandleAsync(
        [
            new PostcodeEntry("LS1 4AP", 53.796, -1.548, "Y63", "QWO", null, 3),
            new PostcodeEntry("YO1 7HH", 53.96, -1.08, "Y63", "QWO", null, 6),
        ]);
        var file = Path.Combine(Path.GetTempPath(), $"sites-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, string.Join("\n",
            "ods_code,name,type,address,postcode,services,accessibility,information,products,status",
            "RR8AB,Leeds Vaccination Centre,vaccination-centre,\"Thackray Museum, Leeds\",ls1 4ap,COVID:18+;FLU:65+,step-free-access|accessible-toilet,Park at the back,39115611000001103,online",
            "FA123,York Pharmacy,community-pharmacy,1 High St,YO1 7HH,COVID:18+,,,,",
            "X1,Too Short,gp-led,Somewhere,LS1 4AP,COVID:18+,,,,",
            "GP001,Castle,castle,Somewhere,LS1 4AP,COVID:18+,,,,",
            "GP002,Nowhere Surgery,gp-led,Somewhere,ZE1 0AA,COVID:18+,,,,",
            "GP003,No Services,gp-led,Somewhere,LS1 4AP,,,,,",
            "GP004,Bad Service,gp-led,Somewhere,LS1 4AP,MMR:1+,,,,",
            "RR8AB,Leeds Again,vaccination-centre,Elsewhere,LS1 4AP,COVID:18+,,,,",
            "GP005,Bad Product,gp-led,Somewhere,LS1 4AP,COVID:18+,,,12345,",
            "GP006,\"Unclosed quote,gp-led,Somewhere,LS1 4AP,COVID:18+,,,,",
            ""));
        try
        {
            var (code, output, error) = await RunAsync(db, "import", "sites", file);
            var rejects = (await File.ReadAllLinesAsync(file + ".rejects.csv")).Skip(1)
                .Select(l => System.Text.RegularExpressions.Regex.Match(l, "^([0-9]+),[^,]*,\"?([a-z-]+)"))
                .OrderBy(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
                .Select(m => m.Groups[1].Value + " " + m.Groups[2].Value).ToList();
            var (again, againOutput, _) = await RunAsync(db, "import", "sites", file);

            Assert.Equal(1, code);
            Assert.Contains("inserted 2", output, StringComparison.Ordinal);
            Assert.Contains(".rejects.csv", error, StringComparison.Ordinal);
            Assert.Equal(["4 invalid-ods-code", "5 invalid-site-type", "6 unknown-postcode", "7 missing-services", "8 unknown-service", "9 duplicate-ods-code", "10 unknown-product", "11 malformed-row"], rejects);
            Assert.Equal(1, again);
            Assert.Contains("inserted 0", againOutput, StringComparison.Ordinal);
            await using var connection = await db.Database.OpenAsync();
            var sites = (await connection.QueryAsync<(string Ods, string Name, string Services, string Region, string Accessibility)>(
                "SELECT ods_code, name, services, region_ods_code, accessibility FROM sites ORDER BY ods_code")).ToList();
            Assert.Equal(
            [
                ("FA123", "York Pharmacy", "COVID:18+", "Y63", ""),
                ("RR8AB", "Leeds Vaccination Centre", "COVID:18+ FLU:65+", "Y63", "step-free-access accessible-toilet"),
            ], sites);
            Assert.Equal(3L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM site_services"));
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
