using Immunise.Notifications;

namespace Immunise.Tests.Notifications;

/// <summary>Our GOV.UK Notify client against a Notify stand-in that checks the JWT and request bodies independently.</summary>
public sealed class NotifyClientTests
{
    private static readonly Dictionary<string, string> Values = new() { ["vaccine"] = "flu", ["book_url"] = "https://example.test/book" };

    [Fact]
    public async Task SendsEachChannel_WithAValidToken_AndTheBodyNotifyExpects()
    {
        await using var notify = await FakeNotify.StartAsync();
        var client = Client(notify, FakeNotify.ApiKey);

        var sms = await client.SendAsync(new NotifyMessage(Channel.Sms, "+447700900123", Guid.NewGuid().ToString(), Values, "ref-1"), default);
        var email = await client.SendAsync(new NotifyMessage(Channel.Email, "someone@example.test", Guid.NewGuid().ToString(), Values, "ref-2"), default);
        var letter = await client.SendAsync(new NotifyMessage(Channel.Letter, "", Guid.NewGuid().ToString(),
            new Dictionary<string, string> { ["address_line_1"] = "A Person", ["address_line_2"] = "1 High Street", ["address_line_3"] = "LS1 4AP" }, "ref-3"), default);

        Assert.All(new[] { sms, email, letter }, r => Assert.Equal(SendOutcome.Accepted, r.Outcome));
        Assert.Empty(notify.AuthFailures);
        Assert.Empty(notify.BodyFailures);
        var sent = notify.Messages.ToList();
        Assert.Equal(["sms", "email", "letter"], sent.Select(m => m.Type));
        Assert.Equal("+447700900123", sent[0].Recipient);
        Assert.Equal("someone@example.test", sent[1].Recipient);
        Assert.Equal("flu", sent[0].Personalisation["vaccine"]!.GetValue<string>());
        Assert.Equal(["ref-1", "ref-2", "ref-3"], sent.Select(m => m.Reference));
        Assert.Equal(sent[0].Id, sms.ProviderId);

        var found = await client.FindByReferenceAsync("ref-2", default);
        Assert.Equal(sent[1].Id, found?.Id);
        Assert.Null(await client.FindByReferenceAsync("ref-9", default));
        Assert.Equal("delivered", (await client.GetAsync(sent[0].Id, default))?.Status);
        Assert.Null(await client.GetAsync(Guid.NewGuid().ToString(), default));
    }

    [Fact]
    public async Task AKeyWithTheWrongSecret_IsRefusedByNotify_AndReportedAsTemporary()
    {
        await using var notify = await FakeNotify.StartAsync();
        var client = Client(notify, $"immunise_test-{FakeNotify.ServiceId}-{Guid.NewGuid()}");

        var result = await client.SendAsync(new NotifyMessage(Channel.Sms, "+447700900123", Guid.NewGuid().ToString(), Values, "ref"), default);

        Assert.Equal(SendOutcome.Temporary, result.Outcome);
        Assert.StartsWith("403 AuthError", result.Reason, StringComparison.Ordinal);
        Assert.Single(notify.AuthFailures);
        Assert.Empty(notify.Messages);
    }

    [Theory]
    [InlineData(429, SendOutcome.Temporary, "429 RateLimitError")]
    [InlineData(500, SendOutcome.Temporary, "500 Exception")]
    [InlineData(503, SendOutcome.Temporary, "503 Exception")]
    [InlineData(400, SendOutcome.Permanent, "400 BadRequestError: phone_number Not a UK mobile number")]
    public async Task NotifysErrors_AreSortedIntoTemporaryAndPermanent_WithNotifysReason(int status, SendOutcome outcome, string reason)
    {
        await using var notify = await FakeNotify.StartAsync();
        notify.Script(status);

        var result = await Client(notify, FakeNotify.ApiKey).SendAsync(new NotifyMessage(Channel.Sms, "+447700900123", Guid.NewGuid().ToString(), Values, "ref"), default);

        Assert.Equal(outcome, result.Outcome);
        Assert.StartsWith(reason, result.Reason, StringComparison.Ordinal);
        Assert.Empty(notify.Messages);
    }

    [Fact]
    public async Task AnUnreachableNotify_IsTemporary()
    {
        using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:1/"), Timeout = TimeSpan.FromSeconds(5) };
        var client = new NotifyClient(http, NotifyApiKey.Parse(FakeNotify.ApiKey), TimeProvider.System);

        var result = await client.SendAsync(new NotifyMessage(Channel.Sms, "+447700900123", Guid.NewGuid().ToString(), Values, "ref"), default);

        Assert.Equal(SendOutcome.Temporary, result.Outcome);
        Assert.Contains("Could not reach Notify", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-key")]
    [InlineData("26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0")]
    [InlineData("name-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122bZ")]
    [InlineData("name-26785a09-ab16-4eb0-8407-a37497a57506x3d844edf-8d35-48ac-975b-e847b4f122b0")]
    public void MalformedKeys_AreRefused_WithoutRepeatingThem(string text)
    {
        Assert.False(NotifyApiKey.TryParse(text, out _, out var reason));
        Assert.NotNull(reason);
        Assert.DoesNotContain("3d844edf", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AKey_IsReadIntoNameServiceAndSecret_AndNeverPrintsTheSecret()
    {
        var key = NotifyApiKey.Parse($"my-test-key-{FakeNotify.ServiceId}-{FakeNotify.Secret}");

        Assert.Equal("my-test-key", key.Name);
        Assert.Equal(FakeNotify.ServiceId, key.ServiceId);
        Assert.DoesNotContain(FakeNotify.Secret, key.ToString(), StringComparison.Ordinal);
    }

    private static NotifyClient Client(FakeNotify notify, string key) =>
        new(new HttpClient { BaseAddress = new Uri(notify.BaseUrl) }, NotifyApiKey.Parse(key), TimeProvider.System);
}
