using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Immunise.Access;
using Immunise.Notifications;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.Notifications;

/// <summary>Delivery receipts from Notify, the operations list and report, and the dispatcher running inside the service.</summary>
public sealed class NotificationEndpointTests
{
    private const string CallbackToken = "a-long-random-callback-token-0123456789";

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task TheServiceSendsWhatTheOutboxHolds_AndReceiptsWithTheRightTokenMarkItDelivered(DatabaseProvider provider)
    {
        await using var notify = await FakeNotify.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["Notifications:DispatcherEnabled"] = "true",
            ["Notifications:ApiKey"] = FakeNotify.ApiKey,
            ["Notifications:BaseUrl"] = notify.BaseUrl,
            ["Notifications:CallbackToken"] = CallbackToken,
            ["Notifications:PollInterval"] = "00:00:00.050",
        };
        foreach (var (template, channels) in DispatcherTests.Options.Templates)
        {
            foreach (var (channel, id) in channels)
            {
                settings[$"Notifications:Templates:{template}:{channel}"] = id;
            }
        }

        await using var app = await ImmuniseApp.StartAsync(provider, settings);
        app.Clock.Now = DateTimeOffset.UtcNow; // Notify accepts a token only if its iat is within 30 seconds of the real time
        var today = app.Clock.Now.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await using (var connection = await app.Database.Database.OpenAsync())
        {
            await app.Services.GetRequiredService<Outbox>().EnqueueAsync(connection, null, new OutboundMessage(
                "invite:1:sms", Channel.Sms, MessageTemplates.Invitation, "+447700900123",
                new Dictionary<string, string> { ["vaccine"] = "flu", ["book_url"] = "https://example.test/book" }));
        }

        for (var i = 0; i < 200 && notify.Messages.IsEmpty; i++)
        {
            await Task.Delay(50);
        }

        var sent = Assert.Single(notify.Messages);
        Assert.Equal(DispatcherTests.Options.Templates["invitation"]["sms"], sent.TemplateId);
        var anonymous = app.Anonymous();
        var receipt = new { id = sent.Id, reference = sent.Reference, to = "+447700900123", status = "delivered" };

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/notifications/receipts", receipt)).StatusCode);
        using (var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/v1/notifications/receipts") { Content = JsonContent.Create(receipt) })
        {
            wrong.Headers.Authorization = new("Bearer", CallbackToken + "x");
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await Receipt(anonymous, new { id = sent.Id, status = "lost-in-the-post" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Receipt(anonymous, receipt with { id = Guid.NewGuid().ToString() })).StatusCode);
        await WaitForStatusAsync(app.Database.Database, "sent");
        Assert.Equal(HttpStatusCode.NoContent, (await Receipt(anonymous, receipt)).StatusCode);
        await WaitForStatusAsync(app.Database.Database, "delivered");

        var ops = await app.ClientAsync(Scopes.NotificationsRead);
        var latest = await ops.GetFromJsonAsync<JsonElement>("/api/v1/notifications");
        var message = Assert.Single(latest.EnumerateArray());
        Assert.Equal("delivered", message.GetProperty("status").GetString());
        Assert.Equal("+4477••••••23", message.GetProperty("recipient").GetString());
        Assert.StartsWith("The NHS is offering you a flu vaccination", message.GetProperty("body").GetString(), StringComparison.Ordinal);
        var csv = await ops.GetStringAsync($"/api/v1/notifications/report?format=csv&from={today}&to={today}");
        Assert.Equal($"day,template,channel,status,messages\n{today},invitation,sms,delivered,1\n", csv);
        Assert.Equal(HttpStatusCode.BadRequest, (await ops.GetAsync("/api/v1/notifications?status=nonsense")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ops.GetAsync("/api/v1/notifications/report?from=2026-02-01&to=2026-01-01")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await (await app.ClientAsync(Scopes.RecordsRead)).GetAsync("/api/v1/notifications")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/notifications")).StatusCode);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("+447700900123", StringComparison.Ordinal) || l.Contains(CallbackToken, StringComparison.Ordinal));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WithNoCallbackToken_ReceiptsAreNotTaken(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/notifications/receipts")
        {
            Content = JsonContent.Create(new { id = Guid.NewGuid(), status = "delivered" }),
        };
        request.Headers.Authorization = new("Bearer", "");

        Assert.Equal(HttpStatusCode.NotFound, (await app.Anonymous().SendAsync(request)).StatusCode);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task TheMessagesSentPage_ShowsAdministratorsTheMessagesRendered_AndNotTheFullRecipient(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider, Immunise.Tests.Staff.StaffKit.ManySignIns);
        await using (var connection = await app.Database.Database.OpenAsync())
        {
            await app.Services.GetRequiredService<Outbox>().EnqueueAsync(connection, null, new OutboundMessage(
                "invite:2:email", Channel.Email, MessageTemplates.Invitation, "amala.bird@example.test",
                new Dictionary<string, string> { ["vaccine"] = "flu" }));
        }

        await using (var dispatcher = new NotificationDispatcher(app.Database.Database, new NotificationOptions(), new LocalSender(), app.Clock))
        {
            Assert.Equal(1, await dispatcher.DispatchOnceAsync(default));
        }

        var admin = await Immunise.Tests.Staff.StaffKit.SignedInAsync(app, await Immunise.Tests.Staff.StaffKit.AddStaffAsync(app, Immunise.Staff.Grant.National(Immunise.Staff.StaffRole.NationalAdministrator)));
        var html = System.Net.WebUtility.HtmlDecode(await admin.GetStringAsync("/staff/notifications"));

        Assert.Contains("invitation by email to a•••••••••@example.test: sent", html, StringComparison.Ordinal);
        Assert.Contains("Book your flu vaccination", html, StringComparison.Ordinal);
        Assert.Contains("http://localhost:5000/book", html, StringComparison.Ordinal);
        Assert.DoesNotContain("amala.bird", html, StringComparison.Ordinal);
        var clinician = await Immunise.Tests.Staff.StaffKit.SignedInAsync(app, await Immunise.Tests.Staff.StaffKit.AddStaffAsync(app, Immunise.Staff.Grant.Organisation(Immunise.Staff.StaffRole.Clinician, "B87008")));
        Assert.Equal(HttpStatusCode.Forbidden, (await clinician.GetAsync("/staff/notifications")).StatusCode);
    }

    [Fact]
    public async Task AKeyWithoutTemplateIds_StopsTheStart_WithWhatIsMissing()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ImmuniseApp.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string>
        {
            ["Notifications:ApiKey"] = FakeNotify.ApiKey,
            ["Notifications:Templates:booking-confirmation:fax"] = Guid.NewGuid().ToString(),
        }));

        var text = error.ToString();
        Assert.Contains("Notifications:Templates:booking-confirmation:fax names no template", text, StringComparison.Ordinal);
        Assert.Contains("Notifications:Templates:reminder:sms needs the Notify template's ID", text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeNotify.Secret, text, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> Receipt(HttpClient client, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/notifications/receipts") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", CallbackToken);
        return await client.SendAsync(request);
    }

    private static async Task WaitForStatusAsync(Database database, string status)
    {
        for (var i = 0; i < 200; i++)
        {
            await using var connection = await database.OpenAsync();
            if (await connection.ExecuteScalarAsync<string>("SELECT status FROM notification_messages") == status)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"the message never became {status}");
    }
}
