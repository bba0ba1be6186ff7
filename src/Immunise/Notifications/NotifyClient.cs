using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Immunise.Notifications;

/// <summary>One message for Notify: the channel, recipient (none for a letter), Notify's template ID, values, and our reference.</summary>
public sealed record NotifyMessage(
    Channel Channel, string Recipient, string TemplateId, IReadOnlyDictionary<string, string> Personalisation, string Reference);

public enum Channel
{
    Sms,
    Email,
    Letter,
}

public enum SendOutcome
{
    /// <summary>Notify accepted the message (201).</summary>
    Accepted,

    /// <summary>Worth trying again later: rate limited (429), Notify's error (5xx), a timeout or a broken connection.</summary>
    Temporary,

    /// <summary>Notify refused the message itself (400: an invalid number, a missing placeholder...): sending again cannot help.</summary>
    Permanent,
}

/// <summary>What Notify said. <see cref="Reason"/> is Notify's error type and message; it never holds the recipient.</summary>
public sealed record SendResult(SendOutcome Outcome, string? ProviderId = null, string? Reason = null, TimeSpan? RetryAfter = null);

/// <summary>A message as Notify holds it: its ID, our reference, and its status.</summary>
public sealed record NotifyNotification(string Id, string? Reference, string Status);

/// <summary>
/// GOV.UK Notify's REST API (v2), as published: <c>POST /v2/notifications/{sms|email|letter}</c>,
/// <c>GET /v2/notifications/{id}</c> and <c>GET /v2/notifications?reference=</c>, each with a fresh bearer JWT from the key.
/// Failures come back as <see cref="SendResult"/>s sorted into temporary and permanent, never as exceptions.
/// </summary>
public sealed class NotifyClient(HttpClient http, NotifyApiKey key, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<SendResult> SendAsync(NotifyMessage message, CancellationToken cancellationToken)
    {
        var (path, body) = message.Channel switch
        {
            Channel.Sms => ("v2/notifications/sms", (object)new SmsRequest(message.Recipient, message.TemplateId, message.Personalisation, message.Reference)),
            Channel.Email => ("v2/notifications/email", new EmailRequest(message.Recipient, message.TemplateId, message.Personalisation, message.Reference)),
            _ => ("v2/notifications/letter", new LetterRequest(message.TemplateId, message.Personalisation, message.Reference)),
        };
        try
        {
            using var request = Request(HttpMethod.Post, path);
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var created = await response.Content.ReadFromJsonAsync<CreatedResponse>(Json, cancellationToken);
                return created?.Id is { Length: > 0 } id
                    ? new SendResult(SendOutcome.Accepted, id)
                    : new SendResult(SendOutcome.Temporary, Reason: "Notify answered 201 without a notification id.");
            }

            var reason = await ReasonAsync(response, cancellationToken);
            return (int)response.StatusCode switch
            {
                400 => new SendResult(SendOutcome.Permanent, Reason: reason),
                // 401/403: our key or clock is wrong, not the message; it can be sent once that is put right.
                _ => new SendResult(SendOutcome.Temporary, Reason: reason, RetryAfter: RetryAfter(response)),
            };
        }
        catch (HttpRequestException e)
        {
            return new SendResult(SendOutcome.Temporary, Reason: $"Could not reach Notify: {e.HttpRequestError}.");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(SendOutcome.Temporary, Reason: "Notify did not answer in time.");
        }
    }

    /// <summary>The message Notify holds with our reference, if any (used before sending again after a crash).</summary>
    public async Task<NotifyNotification?> FindByReferenceAsync(string reference, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"v2/notifications?reference={Uri.EscapeDataString(reference)}");
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var page = await response.Content.ReadFromJsonAsync<NotificationsPage>(Json, cancellationToken);
        return page?.Notifications?.FirstOrDefault(n => n.Reference == reference);
    }

    /// <summary>The message's current status (delivered, permanent-failure...), or null when Notify no longer holds it.</summary>
    public async Task<NotifyNotification?> GetAsync(string id, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"v2/notifications/{Uri.EscapeDataString(id)}");
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<NotifyNotification>(Json, cancellationToken);
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", key.Token(clock.GetUtcNow()));
        return request;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new NotifyException((int)response.StatusCode, await ReasonAsync(response, cancellationToken));
        }
    }

    /// <summary>"ErrorType: message; ..." from Notify's error body, or the status code when the body is not Notify's.</summary>
    private static async Task<string> ReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        try
        {
            var body = await response.Content.ReadFromJsonAsync<ErrorResponse>(Json, cancellationToken);
            if (body?.Errors is { Count: > 0 } errors)
            {
                return $"{status} " + string.Join("; ", errors.Select(e => $"{e.Error}: {e.Message}"));
            }
        }
        catch (JsonException)
        {
        }
        catch (NotSupportedException)
        {
        }

        return $"{status} {response.ReasonPhrase}";
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date is { } at ? at - DateTimeOffset.UtcNow : null);

    private sealed record SmsRequest(string PhoneNumber, string TemplateId, IReadOnlyDictionary<string, string> Personalisation, string Reference);

    private sealed record EmailRequest(string EmailAddress, string TemplateId, IReadOnlyDictionary<string, string> Personalisation, string Reference);

    private sealed record LetterRequest(string TemplateId, IReadOnlyDictionary<string, string> Personalisation, string Reference);

    private sealed record CreatedResponse(string? Id, string? Reference);

    private sealed record NotificationsPage(List<NotifyNotification>? Notifications);

    private sealed record ErrorResponse(List<ErrorItem>? Errors, int? StatusCode);

    private sealed record ErrorItem(string? Error, string? Message);
}

/// <summary>Notify answered a status or search request with an error.</summary>
public sealed class NotifyException(int statusCode, string reason) : Exception($"Notify answered {reason}")
{
    public int StatusCode { get; } = statusCode;
}
