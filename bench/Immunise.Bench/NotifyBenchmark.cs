using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Immunise.Notifications;
using Immunise.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Immunise.Bench;

/// <summary>
/// Dispatch throughput: messages written to the outbox, then sent by <see cref="NotificationDispatcher"/> through the real
/// <see cref="NotifyClient"/> to a Notify-shaped server on loopback (it checks each request's JWT signature and answers 201
/// with a notification id), with the rate limit lifted. The baseline, in the same run, is the same client sending the same
/// messages straight to the same server at the same parallelism with no database at all: the ratio is what claiming and
/// recording each message costs. Then two dispatchers (two nodes) drain one outbox side by side, and the fake server's
/// count of references proves nothing was sent twice.
/// </summary>
public static class NotifyBenchmark
{
    private const string ServiceId = "7f1c2a4e-6b3d-4e8f-9a0b-1c2d3e4f5a6b";
    private const string Secret = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    public static async Task<string> RunAsync(BenchOptions options)
    {
        var messages = Math.Min(options.People, 20_000);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"### Notify dispatch, {messages:N0} text messages per round, rate limit lifted, fake Notify on loopback, median of {options.Rounds} rounds");
        report.AppendLine();
        report.AppendLine("| database | sender | messages/s | ratio to the bare client | sent twice |");
        report.AppendLine("|---|---|---:|---:|---:|");
        var rounds = new StringBuilder();
        await using var notify = await FakeNotify.StartAsync();
        var key = NotifyApiKey.Parse($"bench-{ServiceId}-{Secret}");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = notify.Address };
        var client = new NotifyClient(http, key, TimeProvider.System);
        var notifyOptions = new NotificationOptions
        {
            ApiKey = $"bench-{ServiceId}-{Secret}",
            BaseUrl = notify.Address.ToString(),
            RatePerMinute = int.MaxValue,
            BatchSize = 100,
            Parallelism = 16,
            PublicBaseUrl = "https://immunise.example",
        };
        foreach (var template in MessageTemplates.All)
        {
            if (!notifyOptions.Templates.TryGetValue(template.Name, out var channels))
            {
                notifyOptions.Templates[template.Name] = channels = new(StringComparer.Ordinal);
            }

            channels[Outbox.ChannelName(template.Channel)] = Guid.NewGuid().ToString("D");
        }

        await BareAsync(client, notifyOptions, 2_000); // warm-up: JIT, connections
        foreach (var kind in options.Databases)
        {
            var databaseOptions = await Databases.CreateAsync(kind, "bench_notify");
            await using var database = new Database(databaseOptions);
            var (bare, one, two) = (new List<double>(), new List<double>(), new List<double>());
            var (twiceOne, twiceTwo) = (0L, 0L);
            for (var round = 1; round <= options.Rounds; round++)
            {
                Workspace.Log($"{kind}: round {round} of {options.Rounds}: bare client, one dispatcher, two dispatchers");
                bare.Add(await BareAsync(client, notifyOptions, messages));

                await EnqueueAsync(database, messages, $"r{round}a");
                one.Add(await DrainAsync(database, notifyOptions, client, notify, messages, dispatchers: 1));
                twiceOne += notify.SentTwice;

                await EnqueueAsync(database, messages, $"r{round}b");
                two.Add(await DrainAsync(database, notifyOptions, client, notify, messages, dispatchers: 2));
                twiceTwo += notify.SentTwice;
                Workspace.Log($"{kind}: round {round}: bare {bare[^1]:N0}/s, one dispatcher {one[^1]:N0}/s, two {two[^1]:N0}/s");
            }

            var bareMedian = Median(bare);
            report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {kind} | `NotifyClient` alone, 16 at a time, no database (baseline) | {bareMedian:N0} | 100 % | |"));
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kind} | outbox → one dispatcher (batches of 100, 16 at a time) | **{Median(one):N0}** | {Median(one) / bareMedian:P0} | {twiceOne} |"));
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kind} | outbox → two dispatchers side by side | **{Median(two):N0}** | {Median(two) / bareMedian:P0} | {twiceTwo} |"));
            rounds.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"- {kind}: bare {string.Join(" / ", bare.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}; one dispatcher {string.Join(" / ", one.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}; two {string.Join(" / ", two.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}"));
        }

        report.AppendLine();
        report.AppendLine("Every round (messages per second, in order):");
        report.Append(rounds);
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"The fake Notify server checked {notify.Checked:N0} JWT signatures and refused {notify.Refused:N0} requests.");
        report.AppendLine();
        return report.ToString();
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static Dictionary<string, string> Values(MessageTemplate template) =>
        template.Placeholders.Where(p => !MessageTemplates.Links.Contains(p)).ToDictionary(p => p, p => p == "booking_reference" ? "ABCD2345" : "Bench value", StringComparer.Ordinal);

    private static MessageTemplate Confirmation => MessageTemplates.Find(MessageTemplates.BookingConfirmation, Channel.Sms)!;

    /// <summary>The client alone: the same number of messages, 16 at a time, each with a fresh reference.</summary>
    private static async Task<double> BareAsync(NotifyClient client, NotificationOptions options, int count)
    {
        var values = Values(Confirmation);
        foreach (var (name, link) in MessageTemplates.LinksFor(options.PublicBaseUrl))
        {
            if (Confirmation.Placeholders.Contains(name))
            {
                values[name] = link;
            }
        }

        var templateId = options.TemplateId(Confirmation.Name, Channel.Sms)!;
        var watch = Stopwatch.StartNew();
        var failed = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism }, async (_, ct) =>
        {
            var result = await client.SendAsync(new NotifyMessage(Channel.Sms, "07700900123", templateId, values, Guid.NewGuid().ToString("D")), ct);
            if (result.Outcome != SendOutcome.Accepted)
            {
                Interlocked.Increment(ref failed);
            }
        });
        watch.Stop();
        return failed > 0 ? throw new InvalidOperationException($"{failed} bare sends failed.") : count / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Writes <paramref name="count"/> messages to the outbox, 500 to a transaction (not timed).</summary>
    private static async Task EnqueueAsync(Database database, int count, string prefix)
    {
        var values = Values(Confirmation);
        await using var connection = await database.OpenAsync();
        for (var start = 0; start < count; start += 500)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            for (var i = start; i < Math.Min(count, start + 500); i++)
            {
                await Outbox.EnqueueAsync(connection, transaction,
                    new OutboundMessage($"bench:{prefix}:{i}:sms", Channel.Sms, Confirmation.Name, "07700900123", values), DateTimeOffset.UtcNow.AddSeconds(-1));
            }

            await transaction.CommitAsync();
        }
    }

    /// <summary>Runs <paramref name="dispatchers"/> dispatchers until the outbox has nothing due; answers messages sent per second.</summary>
    private static async Task<double> DrainAsync(Database database, NotificationOptions options, NotifyClient client, FakeNotify notify, int expected, int dispatchers)
    {
        notify.Reset();
        var sender = new NotifySender(client);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, dispatchers).Select(i => Task.Run(async () =>
        {
            await using var dispatcher = new NotificationDispatcher(database, options, sender, TimeProvider.System, $"bench-{i}");
            while (await dispatcher.DispatchOnceAsync(CancellationToken.None) > 0)
            {
            }
        })));
        watch.Stop();
        await using var connection = await database.OpenAsync();
        var left = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notification_messages WHERE status <> 'sent'");
        if (left > 0 || notify.Accepted != expected)
        {
            throw new InvalidOperationException($"{left} messages not sent; the fake Notify accepted {notify.Accepted} of {expected}.");
        }

        return expected / watch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// A Notify-shaped server: <c>POST /v2/notifications/sms</c> with a bearer JWT (HS256 by the service's secret, <c>iss</c> the
    /// service id, <c>iat</c> within 30 seconds) and a JSON body with a reference; answers 201 with a new id. Counts references
    /// seen more than once.
    /// </summary>
    private sealed class FakeNotify : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly byte[] _secret = Encoding.UTF8.GetBytes(Secret);
        private ConcurrentDictionary<string, byte> _references = new(StringComparer.Ordinal);
        private long _accepted;
        private long _twice;
        private long _checked;
        private long _refused;

        private FakeNotify(WebApplication app) => _app = app;

        public Uri Address { get; private set; } = null!;

        public long Accepted => Interlocked.Read(ref _accepted);

        public long SentTwice => Interlocked.Read(ref _twice);

        public long Checked => Interlocked.Read(ref _checked);

        public long Refused => Interlocked.Read(ref _refused);

        public static async Task<FakeNotify> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var fake = new FakeNotify(app);
            app.MapPost("/v2/notifications/{type}", fake.SendAsync);
            await app.StartAsync();
            fake.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
            return fake;
        }

        public void Reset()
        {
            _references = new(StringComparer.Ordinal);
            Interlocked.Exchange(ref _accepted, 0);
            Interlocked.Exchange(ref _twice, 0);
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();

        private async Task<IResult> SendAsync(string type, HttpContext context)
        {
            Interlocked.Increment(ref _checked);
            if (!Authorised(context.Request.Headers.Authorization.ToString()))
            {
                Interlocked.Increment(ref _refused);
                return Results.Json(new { status_code = 403, errors = new[] { new { error = "AuthError", message = "Invalid token" } } }, statusCode: 403);
            }

            var body = await JsonNode.ParseAsync(context.Request.Body);
            var reference = body?["reference"]?.GetValue<string>();
            if (type != "sms" || body?["phone_number"] is null || body["template_id"] is null || reference is null)
            {
                Interlocked.Increment(ref _refused);
                return Results.Json(new { status_code = 400, errors = new[] { new { error = "BadRequestError", message = "Bad request" } } }, statusCode: 400);
            }

            if (!_references.TryAdd(reference, 0))
            {
                Interlocked.Increment(ref _twice);
            }

            Interlocked.Increment(ref _accepted);
            var id = Guid.NewGuid().ToString("D");
            return Results.Json(new { id, reference, content = new { body = "", from_number = "NHS" }, uri = $"{Address}v2/notifications/{id}" }, statusCode: 201);
        }

        private bool Authorised(string header)
        {
            if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
            {
                return false;
            }

            var parts = header["Bearer ".Length..].Split('.');
            if (parts.Length != 3)
            {
                return false;
            }

            var expected = HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
            var signature = Base64Url(parts[2]);
            if (signature is null || !CryptographicOperations.FixedTimeEquals(expected, signature))
            {
                return false;
            }

            using var claims = JsonDocument.Parse(Base64Url(parts[1]) ?? []);
            return claims.RootElement.GetProperty("iss").GetString() == ServiceId
                && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - claims.RootElement.GetProperty("iat").GetInt64()) <= 30;
        }

        private static byte[]? Base64Url(string text)
        {
            try
            {
                return Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (text.Length % 4)) % 4));
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
