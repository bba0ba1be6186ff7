using System.Collections.Concurrent;
using System.Diagnostics;
using Immunise.Common;
using Immunise.People;
using Immunise.Storage;

namespace Immunise.Eligibility;

/// <summary>Which campaign to count, on which day (Europe/London), over the whole register or one region or ICB.</summary>
public sealed record CohortCountRequest(string Campaign, DateOnly Date, string? RegionOdsCode = null, string? IcbOdsCode = null);

/// <summary>People in a cohort with a status (the cohorts the decision shows), and people per status for each condition.</summary>
public sealed record CohortCount(string Condition, string Cohort, string Status, long People);

public sealed record StatusCount(string Condition, string Status, long People);

public sealed record CohortCountResult(
    string Campaign, DateOnly Date, long People, IReadOnlyList<StatusCount> Statuses, IReadOnlyList<CohortCount> Cohorts, TimeSpan Elapsed)
{
    public double PeoplePerSecond => Elapsed.TotalSeconds > 0 ? People / Elapsed.TotalSeconds : 0;

    /// <summary>How the register was evaluated.</summary>
    public CountMethod Method { get; init; }

    /// <summary>Why the campaign could not be compiled, when <see cref="Method"/> is the engine although compiling was asked for.</summary>
    public string? NotCompiledBecause { get; init; }
}

/// <summary>
/// <see cref="Compiled"/>: the campaign compiled to predicates over the register's columns (<see cref="CountPlan"/>), read
/// straight from the database; campaigns it cannot compile exactly, and people with imported rows, take the engine's path.
/// <see cref="Engine"/>: every person's rows composed and decided by <see cref="EligibilityEngine"/> (the reference).
/// </summary>
public enum CountMethod
{
    Compiled,
    Engine,
}

/// <summary>
/// Evaluates one campaign for everyone in the register (or one region or ICB) and counts people per status and per cohort
/// shown: by default compiled and read column by column on every core (<see cref="RegisterScan"/>); otherwise people are
/// composed a page at a time (<see cref="RegisterPersonData.PagesAsync"/>) and the previous page decided on every core.
/// </summary>
public sealed class CountCohorts(Database database, RegisterPersonData register, CampaignStore store)
{
    public async Task<Result<CohortCountResult>> HandleAsync(
        CohortCountRequest request, IProgress<long>? progress = null, CancellationToken cancellationToken = default, CountMethod method = CountMethod.Compiled)
    {
        var configuration = await store.CurrentAsync(cancellationToken);
        var campaigns = configuration.Campaigns
            .Where(c => string.Equals(c.Id, request.Campaign, StringComparison.Ordinal)
                || string.Equals(CampaignStore.StoredId(c), request.Campaign, StringComparison.Ordinal))
            .ToList();
        if (campaigns.Count == 0)
        {
            return Failure.NotFound("campaign-not-found", "No campaign config with this ID is loaded (see `immunise campaigns list`).");
        }

        return await CountAsync(campaigns, request, progress, method, cancellationToken);
    }

    /// <summary>Counts the register against these campaign configs (those of the requested ID).</summary>
    internal async Task<CohortCountResult> CountAsync(
        IReadOnlyList<CampaignConfig> campaigns, CohortCountRequest request, IProgress<long>? progress, CountMethod method, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var statuses = new ConcurrentDictionary<(string, string), long>();
        var cohorts = new ConcurrentDictionary<(string, string, string), long>();
        long people = 0;
        string? whyNot = null;
        var plan = method == CountMethod.Compiled ? CountPlan.TryCompile(campaigns, request.Date, out whyNot) : null;
        if (plan is not null)
        {
            var outcome = await new RegisterScan(database).CountAsync(plan, request.RegionOdsCode, request.IcbOdsCode, progress, cancellationToken);
            var tally = outcome.Tally;
            for (var c = 0; c < plan.Conditions.Count; c++)
            {
                var condition = plan.Conditions[c];
                for (var s = 0; s < 3; s++)
                {
                    if (tally.Statuses[c][s] > 0)
                    {
                        statuses[(condition.Condition, EligibilityEngine.StatusName((EligibilityStatus)s))] = tally.Statuses[c][s];
                    }

                    for (var g = 0; g < condition.Groups.Count; g++)
                    {
                        if (tally.Cohorts[c][(g * 3) + s] is > 0 and var n)
                        {
                            cohorts[(condition.Condition, condition.Groups[g], EligibilityEngine.StatusName((EligibilityStatus)s))] = n;
                        }
                    }
                }
            }

            // People whose imported rows may say anything are decided by the engine itself.
            foreach (var nhs in outcome.ForEngine)
            {
                if (await register.ForAsync(NhsNumber.FromStored(nhs), cancellationToken) is { } data)
                {
                    Tally(data, campaigns, request.Date, statuses, cohorts);
                }
            }

            return Result(request, outcome.Tally.People + outcome.ForEngine.Count, statuses, cohorts, clock.Elapsed, CountMethod.Compiled);
        }

        Task pending = Task.CompletedTask;
        await foreach (var page in register.PagesAsync(request.RegionOdsCode, request.IcbOdsCode, cancellationToken: cancellationToken))
        {
            await pending;
            pending = Task.Run(() => Parallel.ForEach(
                page, new ParallelOptions { CancellationToken = cancellationToken }, person => Tally(person, campaigns, request.Date, statuses, cohorts)),
                cancellationToken);
            people += page.Count;
            progress?.Report(people);
        }

        await pending;
        return Result(request, people, statuses, cohorts, clock.Elapsed, CountMethod.Engine) with { NotCompiledBecause = whyNot };
    }

    /// <summary>Decides one person with the engine and adds their statuses and shown cohorts.</summary>
    private static void Tally(
        PersonData person, IReadOnlyList<CampaignConfig> campaigns, DateOnly date,
        ConcurrentDictionary<(string, string), long> statuses, ConcurrentDictionary<(string, string, string), long> cohorts)
    {
        var result = EligibilityEngine.Evaluate(new EligibilityRequest(person, campaigns, date, IncludeActions: false));
        if (result.Response is not { } response)
        {
            return;
        }

        foreach (var suggestion in response.ProcessedSuggestions)
        {
            statuses.AddOrUpdate((suggestion.Condition, suggestion.Status), 1, (_, n) => n + 1);
            foreach (var cohort in suggestion.EligibilityCohorts)
            {
                cohorts.AddOrUpdate((suggestion.Condition, cohort.CohortCode, cohort.CohortStatus), 1, (_, n) => n + 1);
            }
        }
    }

    private static CohortCountResult Result(
        CohortCountRequest request, long people, ConcurrentDictionary<(string, string), long> statuses,
        ConcurrentDictionary<(string, string, string), long> cohorts, TimeSpan elapsed, CountMethod method) =>
        new CohortCountResult(
            request.Campaign, request.Date, people,
            statuses.Select(s => new StatusCount(s.Key.Item1, s.Key.Item2, s.Value)).OrderBy(s => s.Condition, StringComparer.Ordinal).ThenBy(s => s.Status, StringComparer.Ordinal).ToList(),
            cohorts.Select(c => new CohortCount(c.Key.Item1, c.Key.Item2, c.Key.Item3, c.Value))
                .OrderBy(c => c.Condition, StringComparer.Ordinal).ThenBy(c => c.Cohort, StringComparer.Ordinal).ThenBy(c => c.Status, StringComparer.Ordinal).ToList(),
            elapsed)
        {
            Method = method,
        };
}
