using Microsoft.Playwright;

namespace Immunise.Browser.Tests.Infrastructure;

/// <summary>
/// Drives a page with the keyboard only: Tab moves focus (never more than a page's worth of stops), Enter follows links and
/// presses buttons, Space selects radios, and text is typed into the focused field. No mouse, no clicks.
/// </summary>
public sealed class Keyboard(IPage page)
{
    private const int MaxTabs = 60;

    /// <summary>Tabs until the focused element satisfies <paramref name="predicate"/> (a JavaScript function of the element).</summary>
    public async Task TabToAsync(string predicate, string what)
    {
        for (var i = 0; i < MaxTabs; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>($"() => {{ const e = document.activeElement; return !!e && ({predicate})(e); }}"))
            {
                return;
            }
        }

        Assert.Fail($"Tab never reached {what} on {page.Url}");
    }

    public async Task ActivateLinkAsync(string text)
    {
        await TabToAsync($"e => e.tagName === 'A' && e.innerText.trim() === {Quote(text)}", $"the link '{text}'");
        await EnterToNextPageAsync();
    }

    public async Task PressButtonAsync(string text)
    {
        await TabToAsync($"e => e.tagName === 'BUTTON' && e.innerText.trim() === {Quote(text)}", $"the button '{text}'");
        await EnterToNextPageAsync();
    }

    public async Task TypeIntoAsync(string selector, string text)
    {
        await TabToAsync($"e => e.matches({Quote(selector)})", selector);
        await page.Keyboard.TypeAsync(text);
    }

    /// <summary>Tabs into the first radio group and selects its first option with Space.</summary>
    public async Task SelectFirstRadioAsync()
    {
        await TabToAsync("e => e.type === 'radio'", "a radio");
        await page.Keyboard.PressAsync("Space");
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement.checked"), "Space did not select the radio");
    }

    /// <summary>Presses Enter and waits for the next page (a mark left on this page's window is gone once it has loaded).</summary>
    private async Task EnterToNextPageAsync()
    {
        await page.EvaluateAsync("() => { window.__keyboardMark = true; }");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => window.__keyboardMark === undefined && document.readyState === 'complete'");
    }

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
