using Microsoft.Extensions.Logging.Console;

namespace Immunise.Web.Hosting;

/// <summary>
/// Keeps personal data out of logs whatever the configuration says. Paths and query strings carry NHS numbers
/// (<c>/api/v1/people/{nhs}</c>, FHIR search), and these framework categories write them at Information and below, so they are
/// capped at Warning in code: a missing or edited <c>appsettings.json</c> cannot turn them back on.
/// </summary>
public static class PersonalDataLogging
{
    private static readonly string[] s_pathLoggingCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Http",
        "Microsoft.AspNetCore.HttpLogging",
        "Microsoft.AspNetCore.Mvc",
        "Microsoft.AspNetCore.StaticFiles",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Authentication",
        "Microsoft.AspNetCore.Authorization",
        "Microsoft.AspNetCore.Diagnostics",
        "Npgsql",
    ];

    public static ILoggingBuilder CapPathLogging(this ILoggingBuilder logging)
    {
        foreach (var category in s_pathLoggingCategories)
        {
            logging.AddFilter(category, LogLevel.Warning);
            logging.AddFilter<ConsoleLoggerProvider>(category, LogLevel.Warning);
        }

        return logging;
    }
}
