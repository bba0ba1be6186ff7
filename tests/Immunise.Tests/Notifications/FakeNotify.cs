using System.Collections.Concurrent;
using System.IdentityModel.Tokens.Jwt;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Immunise.Tests.Notifications;

/// <summary>
/// A GOV.UK Notify stand-in on a real loopback port, written from the published protocol: it accepts only a bearer JWT
/// (HS256) signed with the service's secret whose <c>iss</c> is the service ID and whose <c>iat</c> is within 30 seconds;
/// it checks each request body (required fields, UUID template ID, a string-valued personalisation, a reference), keeps what
/// it accepted, and can be told to answer the next requests with 429, 500 or a permanent 400.
/// </summary>
public sealed class FakeNotify : IAsyncDisposable
{
    public const string ServiceId = "26785a09-ab16-4eb0-8407-a37497a57506";
    public const string Secret = "3d844edf-8d35-48ac-975b-e847b4f122b0";
    public const string ApiKey = $"immunise_test-{ServiceId}-{Secret}";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _scripted = new();

    private FakeNotify(WebApplication app)
    {
        _app = app;
    }

    public string BaseUrl { get; private set; } = "";

    /// <summary>Every message accepted, in order.</summary>
    public ConcurrentQueue<Accepted> Messages { get; } = new();

    /// <summary>Requests refused for their authorisation (which our client must never make).</summary>
    public ConcurrentQueue<string> AuthFailures { get; } = new();

    /// <summary>Requests refused for their body.</summary>
    public ConcurrentQueue<string> BodyFailures { get; } = new();

    public int Lookups;

    public sealed record Accepted(string Id, string Type, string Recipient, string TemplateId, JsonObject Personalisation, string Reference);

    /// <summary>The next requests to send a message are answered with these statuses, one each, before normal service resumes.</summary>
    public void Script(params int[] statuses)
    {
        foreach (var status in statuses)
        {
            _scripted.Enqueue(status);
        }
    }

    public static async Task<FakeNotify> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeNotify(app);
        app.MapPost("/v2/notifications/{type}", (string type, HttpContext context) => fake.SendAsync(type, context));
        app.MapGet("/v2/notifications/{id}", (string id, HttpContext context) => fake.Get(id, context));
        app.MapGet("/v2/notifications", (HttpContext context) => fake.Search(context));
        await app.StartAsync();
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> SendAsync(string type, HttpContext context)
    {
        if (Unauthorised(context) is { } refused)
        {
            return refused;
        }

        if (_scripted.TryDequeue(out var status))
        {
            return status switch
            {
                429 => Error(429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
                400 => Error(400, "BadRequestError", "phone_number Not a UK mobile number"),
                _ => Error(status, "Exception", "Internal server error"),
            };
        }

        JsonObject? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonObject>(context.Request.Body);
        }
        catch (JsonException)
        {
            return BadBody("body is not JSON");
        }

        var recipientField = type switch { "sms" => "phone_number", "email" => "email_address", "letter" => null, _ => "?" };
        if (body is null || recipientField == "?")
        {
            return BadBody($"unknown type {type}");
        }

        var recipient = recipientField is null ? "" : body[recipientField]?.GetValue<string>();
        var templateId = body["template_id"]?.GetValue<string>();
        var reference = body["reference"]?.GetValue<string>();
        var personalisation = body["personalisation"] as JsonObject ?? [];
        if (string.IsNullOrEmpty(recipient) && recipientField is not null)
        {
            return BadBody($"{recipientField} is a required property");
        }

        if (!Guid.TryParse(templateId, out _))
        {
            return BadBody("template_id is not a valid UUID");
        }

        if (string.IsNullOrEmpty(reference) || personalisation.Any(p => p.Value is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
        {
            return BadBody("reference missing or personalisation not all text");
        }

        var id = Guid.NewGuid().ToString("D");
        Messages.Enqueue(new Accepted(id, type, recipient!, templateId!, personalisation, reference));
        return Results.Json(new JsonObject
        {
            ["id"] = id,
            ["reference"] = reference,
            ["content"] = new JsonObject { ["body"] = "…", ["from_number"] = "NHS" },
            ["uri"] = $"{BaseUrl}v2/notifications/{id}",
            ["template"] = new JsonObject { ["id"] = templateId, ["version"] = 1, ["uri"] = $"{BaseUrl}v2/template/{templateId}" },
        }, statusCode: 201);
    }

    private IResult Get(string id, HttpContext context)
    {
        if (Unauthorised(context) is { } refused)
        {
            return refused;
        }

        return Messages.FirstOrDefault(m => m.Id == id) is { } message
            ? Results.Json(new JsonObject { ["id"] = message.Id, ["reference"] = message.Reference, ["type"] = message.Type, ["status"] = "delivered" })
            : Error(404, "NoResultFound", "No result found");
    }

    private IResult Search(HttpContext context)
    {
        if (Unauthorised(context) is { } refused)
        {
            return refused;
        }

        Interlocked.Increment(ref Lookups);
        var reference = context.Request.Query["reference"].ToString();
        var found = new JsonArray([.. Messages.Where(m => m.Reference == reference)
            .Select(m => new JsonObject { ["id"] = m.Id, ["reference"] = m.Reference, ["type"] = m.Type, ["status"] = "sending" })]);
        return Results.Json(new JsonObject { ["notifications"] = found, ["links"] = new JsonObject() });
    }

    private IResult? Unauthorised(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            AuthFailures.Enqueue("no bearer token");
            return Error(401, "AuthError", "Unauthorized: authentication token must be provided");
        }

        try
        {
            var handler = new JwtSecurityTokenHandler();
            handler.ValidateToken(header["Bearer ".Length..], new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidIssuer = ServiceId,
                ValidateAudience = false,
                ValidateLifetime = false,
                IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                RequireExpirationTime = false,
                RequireSignedTokens = true,
            }, out var token);
            var jwt = (JwtSecurityToken)token;
            var iat = jwt.Payload.IssuedAt;
            if (jwt.Header.Typ != "JWT" || Math.Abs((DateTime.UtcNow - iat).TotalSeconds) > 30)
            {
                AuthFailures.Enqueue("iat not within 30 seconds, or typ not JWT");
                return Error(403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds");
            }
        }
        catch (Exception e) when (e is SecurityTokenException or ArgumentException)
        {
            AuthFailures.Enqueue(e.GetType().Name);
            return Error(403, "AuthError", "Invalid token: signature, api token is not valid");
        }

        return null;
    }

    private IResult BadBody(string message)
    {
        BodyFailures.Enqueue(message);
        return Error(400, "ValidationError", message);
    }

    private static IResult Error(int status, string error, string message) =>
        Results.Json(new JsonObject
        {
            ["errors"] = new JsonArray(new JsonObject { ["error"] = error, ["message"] = message }),
            ["status_code"] = status,
        }, statusCode: status);
}
