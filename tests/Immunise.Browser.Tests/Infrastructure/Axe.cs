using System.Text.Json;
using Microsoft.Playwright;

namespace Immunise.Browser.Tests.Infrastructure;

/// <summary>
/// Runs axe-core (the copy the web build puts in <c>wwwroot/lib/axe-core</c>, served by the app itself, so the page's
/// Content-Security-Policy allows it) on the page as it is, and fails on any serious or critical violation.
/// </summary>
public static class Axe
{
    public static async Task AssertNoSeriousViolationsAsync(IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
        {
            await page.AddScriptTagAsync(new PageAddScriptTagOptions { Url = "/lib/axe-core/axe.min.js" });
        }

        var violations = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const results = await axe.run(document, { resultTypes: ['violations'] });
              return results.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`);
            }
            """);
        var found = violations.EnumerateArray().Select(v => v.GetString()).ToList();
        Assert.True(found.Count == 0, $"axe-core found serious or critical violations on {page.Url}:\n{string.Join("\n", found)}");
    }
}
