using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Immunise.Browser.Tests.Infrastructure;

/// <summary>
/// A citizen at a browser: fills fields by their labels (so a field without a proper label fails the test), chooses radios
/// by their labels, presses buttons by their names. With <see cref="Scan"/>, every page reached is checked with axe-core;
/// with <see cref="MaxWidth"/>, every page must fit the viewport without scrolling sideways. Records every URL requested.
/// </summary>
public sealed partial class Citizen(IPage page)
{
    public IPage Page => page;

    public bool Scan { get; init; } = true;

    public int? MaxWidth { get; init; }

    public List<string> Urls { get; } = [];

    /// <summary>What the app logged at error level, for a failure's message.</summary>
    public Func<string> Diagnostics { get; init; } = () => "";

    /// <summary>The titles of the pages checked, in order.</summary>
    public List<string> Checked { get; } = [];

    public static async Task<Citizen> StartAsync(BrowserFixture browser, JourneyApp app, int width = 1024, bool javaScript = true, bool scan = true)
    {
        var page = await browser.NewPageAsync(app.BaseUrl, width, javaScript: javaScript);
        var citizen = new Citizen(page)
        {
            Scan = scan && javaScript,
            MaxWidth = width <= 400 ? width : null,
            Diagnostics = () => string.Join("\n", app.Logs.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal))),
        };
        page.Request += (_, request) => citizen.Urls.Add(request.Url);
        return citizen;
    }

    public async Task GoToAsync(string path)
    {
        await page.GotoAsync(path);
        await CheckPageAsync();
    }

    /// <summary>Checks the page now shown: accessibility (axe-core), no sideways scrolling at narrow widths, then remembers it.</summary>
    public async Task CheckPageAsync()
    {
        var title = await page.TitleAsync();
        if ((await page.ContentAsync()).Contains("Something went wrong", StringComparison.Ordinal))
        {
            Assert.Fail($"{page.Url} answered an error page. The app logged:\n{Diagnostics()}");
        }
        if (Scan)
        {
            await Axe.AssertNoSeriousViolationsAsync(page);
        }

        if (MaxWidth is { } width)
        {
            var scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            Assert.True(scrollWidth <= width, $"'{title}' is {scrollWidth}px wide at a {width}px viewport: it scrolls sideways.");
        }

        Checked.Add(title);
    }

    public async Task ClickAsync(string name)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true }).ClickAsync();
        await CheckPageAsync();
    }

    public async Task FollowAsync(string linkText)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = linkText, Exact = true }).First.ClickAsync();
        await CheckPageAsync();
    }

    public Task FillAsync(string label, string value) => page.GetByLabel(label, new() { Exact = true }).FillAsync(value);

    /// <summary>Fills a date input (Day, Month, Year) inside the fieldset whose legend is <paramref name="legend"/>.</summary>
    public async Task FillDateAsync(string legend, DateOnly date)
    {
        var group = page.GetByRole(AriaRole.Group, new() { Name = legend });
        await group.GetByLabel("Day", new() { Exact = true }).FillAsync(date.Day.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await group.GetByLabel("Month", new() { Exact = true }).FillAsync(date.Month.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await group.GetByLabel("Year", new() { Exact = true }).FillAsync(date.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The labels of the radios on the page, in order.</summary>
    public async Task<IReadOnlyList<string>> RadioLabelsAsync() =>
        (await page.Locator(".nhsuk-radios__label").AllInnerTextsAsync()).Select(t => t.Trim()).ToList();

    public Task ChooseAsync(string label) => page.GetByLabel(label, new() { Exact = true }).CheckAsync();

    /// <summary>Chooses the radio at <paramref name="index"/> and answers its value.</summary>
    public async Task<string> ChooseAtAsync(int index)
    {
        var radio = page.Locator("input.nhsuk-radios__input").Nth(index);
        await radio.CheckAsync();
        return await radio.InputValueAsync();
    }

    public async Task<string> HeadingAsync() => (await page.Locator("h1").First.InnerTextAsync()).Trim();

    public Task<string> TextAsync() => page.Locator("main").InnerTextAsync();

    /// <summary>The page came back with errors: its title starts "Error:", the summary lists <paramref name="message"/> and links to the field.</summary>
    public async Task AssertErrorAsync(string message)
    {
        Assert.StartsWith("Error: ", await page.TitleAsync(), StringComparison.Ordinal);
        var summary = page.Locator(".nhsuk-error-summary");
        Assert.Contains(message, await summary.InnerTextAsync(), StringComparison.Ordinal);
        var link = summary.GetByRole(AriaRole.Link).First;
        var target = (await link.GetAttributeAsync("href"))!.TrimStart('#');
        Assert.Equal(1, await page.Locator($"[id='{target}']").CountAsync());
        Assert.True(await page.Locator(".nhsuk-error-message").CountAsync() > 0, "no inline error message beside the field");
    }

    /// <summary>Booking references shown on the confirmation page.</summary>
    public async Task<IReadOnlyList<string>> ReferencesAsync()
    {
        var texts = await page.Locator("[id^='reference-']").AllInnerTextsAsync();
        return texts.Select(t => t.Trim()).ToList();
    }

    [GeneratedRegex("^[ACDEFGHJKMNPQRTUVWXY346789]{8}$")]
    public static partial Regex Reference();

    /// <summary>Nothing personal went into a URL: no NHS number, date of birth, postcode, name, phone or email.</summary>
    public void AssertNoPersonalDataInUrls(TestPerson person, params string[] more)
    {
        var secrets = new[]
        {
            person.NhsNumber.Value, person.DateOfBirth.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            person.Postcode.Replace(" ", "", StringComparison.Ordinal), person.Postcode.Replace(" ", "+", StringComparison.Ordinal),
            person.Postcode.Replace(" ", "%20", StringComparison.Ordinal), person.FamilyName,
        }.Concat(more);
        foreach (var url in Urls)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, url, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    public async ValueTask CloseAsync() => await page.Context.CloseAsync();
}
