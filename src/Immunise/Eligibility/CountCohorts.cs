using System.Collections.Concurrent;
using System.Diagnostics;
using Immunise.Common;

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
}

/// <summary>
/// Evaluates one campaign for everyone in the register (or one region or ICB) and counts people per status and per cohort
/// shown. People are read a page at a time (<see cref="RegisterPersonData.PagesAsync"/>) while the previous page is decided
/// on every core.
/// </summary>
public sealed class CountCohorts(RegisterPersonData register, CampaignStore store)
{
    public async Task<Result<CohortCountResult>> HandleAsync(CohortCountRequest request, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
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

        var clock = Stopwatch.StartNew();
        var statuses = new ConcurrentDictionary<(string, string), long>();
        var cohorts = new ConcurrentDictionary<(string, string, string), long>();
        long people = 0;
        Task pending = Task.CompletedTask;
        await foreach (var page in register.PagesAsync(request.RegionOdsCode, request.IcbOdsCode, cancellationToken: cancellationToken))
        {
            await pending;
            pending = Task.Run(() => Parallel.ForEach(page, new ParallelOptions { CancellationToken = cancellationToken }, person =>
            {
                var result = EligibilityEngine.Evaluate(new EligibilityRequest(person, campaigns, request.Date, IncludeActions: false));
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
            }), cancellationToken);
            people += page.Count;
            progress?.Report(people);
        }

        await pending;
        return new CohortCountResult(
            request.Campaign, request.Date, people,
            statuses.Select(s => new StatusCount(s.Key.Item1, s.Key.Item2, s.Value)).OrderBy(s => s.Condition, StringComparer.Ordinal).ThenBy(s => s.Status, StringComparer.Ordinal).ToList(),
            cohorts.Select(c => new CohortCount(c.Key.Item1, c.Key.Item2, c.Key.Item3, c.Value))
                .OrderBy(c => c.Condition, StringComparer.Ordinal).ThenBy(c => c.Cohort, StringComparer.Ordinal).ThenBy(c => c.Status, StringComparer.Ordinal).ToList(),
            clock.Elapsed);
    }
}
