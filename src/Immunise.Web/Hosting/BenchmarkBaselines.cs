using Dapper;
using Immunise.Storage;

namespace Immunise.Web.Hosting;

/// <summary>
/// Baseline endpoints for <c>bench/</c>, mapped only when the setting <c>Benchmarks:BareEndpoints</c> is <c>true</c> (it is
/// off unless set; the benchmark sets it for the service it starts). <c>GET /bench/select/{nhsNumber}</c> does what every
/// lookup must at least do and nothing more: one SELECT of a person's row by NHS number on the service's own database,
/// through the same pipeline as <c>GET /api/v1/ping</c>, with no authentication, validation, audit line or body. It answers
/// 204 whether or not the row exists, so it tells a caller nothing about the register. See decision 011.
/// </summary>
public static class BenchmarkBaselines
{
    public const string Setting = "Benchmarks:BareEndpoints";

    public static void MapBenchmarkBaselines(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Configuration.GetValue<bool>(Setting))
        {
            return;
        }

        app.MapGet("/bench/select/{nhsNumber}", SelectAsync).AllowAnonymous().ExcludeFromDescription();
    }

    private static async Task<IResult> SelectAsync(string nhsNumber, Database database, CancellationToken cancellationToken)
    {
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            await connection.ExecuteScalarAsync<string>(new CommandDefinition(
                "SELECT family_name FROM people WHERE nhs_number = @nhsNumber", new { nhsNumber }, cancellationToken: cancellationToken));
        }

        return TypedResults.NoContent();
    }
}
