using System.Net;
using System.Text.RegularExpressions;
using Immunise.Tests.Staff;

namespace Immunise.Tests.SiteDay;

/// <summary>
/// A staff browser over real sockets (an app started on Kestrel, plain HTTP on loopback): it keeps cookies itself and sends
/// them back whatever their Secure flag (a browser treats loopback as secure; .NET's cookie container does not), and follows
/// no redirects. Signs in through the sign-in form; posts forms with the antiforgery token the page carried.
/// </summary>
public sealed partial class SocketBrowser : IDisposable
{
    private readonly HttpClient _client;
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private SocketBrowser(Uri address) =>
        _client = new HttpClient(new CookieKeeper(this) { InnerHandler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false } })
        {
            BaseAddress = address,
        };

    public HttpClient Client => _client;

    public static async Task<SocketBrowser> SignedInAsync(Uri address, string email)
    {
        var browser = new SocketBrowser(address);
        var signIn = await browser.PostFormAsync("/staff/sign-in", new() { ["email"] = email, ["password"] = StaffKit.Password });
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return browser;
    }

    /// <summary>The antiforgery token of a page's form (GETs the page).</summary>
    public async Task<string> TokenAsync(string formPath)
    {
        var html = await (await _client.GetAsync(formPath)).Content.ReadAsStringAsync();
        var token = TokenPattern().Match(html);
        Assert.True(token.Success, $"No antiforgery token on {formPath}");
        return WebUtility.HtmlDecode(token.Groups[1].Value);
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> fields, string? formPath = null)
    {
        fields["__RequestVerificationToken"] = await TokenAsync(formPath ?? path);
        return await _client.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    public void Dispose() => _client.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    private sealed class CookieKeeper(SocketBrowser browser) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (browser._lock)
            {
                if (browser._cookies.Count > 0)
                {
                    request.Headers.Add("Cookie", string.Join("; ", browser._cookies.Select(c => $"{c.Key}={c.Value}")));
                }
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var cookies))
            {
                lock (browser._lock)
                {
                    foreach (var cookie in cookies)
                    {
                        var pair = cookie.Split(';')[0];
                        var equals = pair.IndexOf('=', StringComparison.Ordinal);
                        var (name, value) = (pair[..equals], pair[(equals + 1)..]);
                        if (value.Length == 0 || cookie.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                        {
                            browser._cookies.Remove(name);
                        }
                        else
                        {
                            browser._cookies[name] = value;
                        }
                    }
                }
            }

            return response;
        }
    }
}
