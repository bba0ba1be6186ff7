extern alias web;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Immunise.Tests.Web;
using Immunise.WaitingRoom;
using Microsoft.Extensions.DependencyInjection;
using Door = web::Immunise.Web.WaitingRoom.WaitingRoomDoor;

namespace Immunise.Tests.WaitingRoom;

/// <summary>
/// A browser reduced to what the waiting room cares about, over real sockets: it keeps its cookies itself (so a test can
/// read, alter, copy or drop them) and can call any of several service instances with the same cookies, as a load
/// balancer without sticky sessions would.
/// </summary>
public sealed partial class Visitor(params ImmuniseApp[] nodes) : IDisposable
{
    private readonly List<HttpClient> _clients = nodes.Select(n => new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        BaseAddress = n.Address ?? throw new InvalidOperationException("Start the app with kestrel: true."),
    }).ToList();

    public Dictionary<string, string> Cookies { get; } = new(StringComparer.Ordinal);

    public string? Ticket
    {
        get => Cookies.GetValueOrDefault(Door.TicketCookie);
        set => Set(Door.TicketCookie, value);
    }

    public string? Admission
    {
        get => Cookies.GetValueOrDefault(Door.AdmissionCookie);
        set => Set(Door.AdmissionCookie, value);
    }

    /// <summary>A visitor who starts with a copy of this one's cookies.</summary>
    public Visitor Copy()
    {
        var copy = new Visitor(nodes);
        foreach (var (name, value) in Cookies)
        {
            copy.Cookies[name] = value;
        }

        return copy;
    }

    public async Task<HttpResponseMessage> GetAsync(string path, int node = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync(request, node);
    }

    /// <summary>GETs the page, then posts its form back with the antiforgery token it carried.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> fields, int node = 0)
    {
        var page = await (await GetAsync(path, node)).Content.ReadAsStringAsync();
        var token = TokenPattern().Match(page);
        Assert.True(token.Success, $"No antiforgery token on {path}");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        return await SendAsync(request, node);
    }

    /// <summary>Follows redirects within the site, as a browser would; answers the last response.</summary>
    public async Task<HttpResponseMessage> FollowAsync(string path, int node = 0)
    {
        var response = await GetAsync(path, node);
        for (var hops = 0; hops < 5 && (int)response.StatusCode is >= 300 and < 400; hops++)
        {
            response = await GetAsync(response.Headers.Location!.OriginalString, node);
        }

        return response;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, int node = 0)
    {
        if (Cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", Cookies.Select(c => $"{c.Key}={c.Value}")));
        }

        var response = await _clients[node].SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var header in setCookies)
            {
                var pair = header.Split(';')[0];
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var (name, value) = (pair[..equals], pair[(equals + 1)..]);
                var deleted = value.Length == 0 || header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase);
                Set(name, deleted ? null : value);
            }
        }

        return response;
    }

    /// <summary>The ticket's number, read with the service's own signing keys.</summary>
    public long Sequence(ImmuniseApp app)
    {
        app.Services.GetRequiredService<SigningKeys>().EnsureLoadedAsync().AsTask().GetAwaiter().GetResult();
        Assert.Equal(TokenCheck.Valid, app.Services.GetRequiredService<QueueSigning>().TryRead(Ticket, out var ticket));
        return ticket!.Sequence;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private void Set(string name, string? value)
    {
        if (value is null)
        {
            Cookies.Remove(name);
        }
        else
        {
            Cookies[name] = value;
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}

/// <summary>An API client of the waiting room: its ticket and token in headers.</summary>
public static class QueueApi
{
    public static async Task<JsonElement> TakeTicketAsync(HttpClient client, string? ticket = null, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/queue/tickets");
        if (ticket is not null)
        {
            request.Headers.Add(Door.TicketHeader, ticket);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task<JsonElement> StatusAsync(HttpClient client, string ticket)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queue/status");
        request.Headers.Add(Door.TicketHeader, ticket);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task<HttpResponseMessage> HoldAsync(HttpClient client, string? ticket, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/bookings/holds") { Content = JsonContent.Create(body ?? new { }) };
        if (ticket is not null)
        {
            request.Headers.Add(Door.TicketHeader, ticket);
        }

        if (token is not null)
        {
            request.Headers.Add(Door.AdmissionHeader, token);
        }

        return await client.SendAsync(request);
    }

    public static string Code(JsonElement problem) => problem.GetProperty("code").GetString()!;
}
