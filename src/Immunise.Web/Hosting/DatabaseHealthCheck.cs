using System.Data.Common;
using Dapper;
using Immunise.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Immunise.Web.Hosting;

/// <summary>Ready when the database answers <c>SELECT 1</c>.</summary>
public sealed class DatabaseHealthCheck(Database database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            return HealthCheckResult.Healthy($"{database.Provider} reachable");
        }
        catch (Exception e) when (e is DbException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{database.Provider} unreachable", e);
        }
    }
}
