using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.WaitingRoom;

namespace Immunise.Tests.WaitingRoom;

/// <summary>The waiting room's rules and its signed tickets and tokens, without a database.</summary>
public sealed class QueueRulesTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1234, 0, 1234)]
    [InlineData(1234, 1000, 234)]
    [InlineData(1000, 1000, 0)]
    [InlineData(999, 1000, -1)]
    public void Position_IsTheSequenceNumberMinusTheServingNumber(long sequence, long serving, long expected)
    {
        Assert.Equal(expected, QueueRules.Position(sequence, serving));
    }

    [Theory]
    [InlineData(0.0, "less than a minute")]
    [InlineData(0.99, "less than a minute")]
    [InlineData(1.0, "about 1 minute")]
    [InlineData(1.2, "about 2 minutes")]
    [InlineData(5.6, "about 6 minutes")]
    [InlineData(59.5, "about 60 minutes")]
    [InlineData(60.0, "about 1 hour")]
    [InlineData(81.0, "about 1 hour 20 minutes")]
    [InlineData(123.0, "about 2 hours 5 minutes")]
    [InlineData(178.0, "about 3 hours")]
    public void DescribeWait_SaysTheEstimateInPlainWords(double minutes, string expected)
    {
        Assert.Equal(expected, QueueRules.DescribeWait(minutes));
    }

    [Fact]
    public void EstimateRate_PrefersTheMeasuredRate_ThenTheConfiguredRate_ThenWhatTheMaximumLetsThrough()
    {
        var lifetime = TimeSpan.FromMinutes(30);

        Assert.Equal(412.5, QueueRules.EstimateRate(412.5, 300, 1000, lifetime));
        Assert.Equal(300, QueueRules.EstimateRate(0, 300, 1000, lifetime));
        Assert.Equal(1000 / 30d, QueueRules.EstimateRate(0, 0, 1000, lifetime));
        Assert.Null(QueueRules.EstimateRate(0, 0, 0, lifetime));
    }

    [Fact]
    public void MinutesToWait_IsThePlaceOverTheRate()
    {
        Assert.Equal(6.0, QueueRules.MinutesToWait(1_234, 1_234 / 6d)!.Value, 9);
        Assert.Equal(0, QueueRules.MinutesToWait(0, 100));
        Assert.Equal(0, QueueRules.MinutesToWait(-3, 100));
        Assert.Null(QueueRules.MinutesToWait(10, null));
        Assert.Null(QueueRules.MinutesToWait(10, 0));
    }

    [Fact]
    public void Allowance_EarnsTheRateOverElapsedTime_CarryingFractions()
    {
        // 30 people a minute, ticks of one second: half a person per tick, so one admission every other tick.
        var credit = 0d;
        var admitted = new List<long>();
        for (var tick = 0; tick < 6; tick++)
        {
            var allowance = QueueRules.Allowance(credit, 30, TimeSpan.FromSeconds(1), maxActive: 0, active: 0);
            admitted.Add(allowance.Allowed);
            credit = allowance.Credit - allowance.Allowed;
        }

        Assert.Equal([0L, 1, 0, 1, 0, 1], admitted);
        Assert.Equal(10, QueueRules.Allowance(0, 600, TimeSpan.FromSeconds(1), 0, 0).Allowed);
    }

    [Fact]
    public void Allowance_AfterMissedTicks_CatchesUpAtMostTenSeconds()
    {
        var allowance = QueueRules.Allowance(0, 600, TimeSpan.FromMinutes(5), 0, 0);

        Assert.Equal(100, allowance.Allowed);
        Assert.Equal(100, QueueRules.Allowance(500, 600, TimeSpan.FromSeconds(1), 0, 0).Allowed);
    }

    [Fact]
    public void Allowance_UnderAMaximumOfActiveVisitors_OnlyTheRoomLeft()
    {
        Assert.Equal(3, QueueRules.Allowance(0, 600, TimeSpan.FromSeconds(1), maxActive: 50, active: 47).Allowed);
        Assert.Equal(0, QueueRules.Allowance(0, 600, TimeSpan.FromSeconds(1), maxActive: 50, active: 60).Allowed);
        Assert.Equal(50, QueueRules.Allowance(0, ratePerMinute: 0, TimeSpan.FromSeconds(1), maxActive: 50, active: 0).Allowed);
        Assert.Equal(long.MaxValue, QueueRules.Allowance(0, ratePerMinute: 0, TimeSpan.FromSeconds(1), maxActive: 0, active: 0).Allowed);
    }

    [Fact]
    public void PollSeconds_SoonerNearTheFront()
    {
        Assert.Equal(5, QueueRules.PollSeconds(3, 100, 5, 20));
        Assert.Equal(20, QueueRules.PollSeconds(10_000, 100, 5, 20));
        Assert.Equal(15, QueueRules.PollSeconds(100, 100, 5, 20));
        Assert.Equal(20, QueueRules.PollSeconds(100, null, 5, 20));
    }

    [Fact]
    public void Ticket_SignedAndRead_RoundTrips()
    {
        var signing = Signing("1:" + Secret(1));
        var ticket = new Ticket(QueueSigning.NewTicketId(), 1_234_567, s_now);

        var text = signing.Sign(ticket);

        Assert.Equal(TokenCheck.Valid, signing.TryRead(text, out var read));
        Assert.Equal(ticket, read);
        Assert.True(text.Length <= QueueSigning.MaxLength);
    }

    [Fact]
    public void Ticket_AlteredAnywhere_IsRefusedAsForged()
    {
        var signing = Signing("1:" + Secret(1));
        var text = signing.Sign(new Ticket(QueueSigning.NewTicketId(), 5_000, s_now));

        for (var i = 0; i < text.Length; i++)
        {
            var altered = text[..i] + (text[i] == 'A' ? 'B' : 'A') + text[(i + 1)..];
            Assert.NotEqual(TokenCheck.Valid, signing.TryRead(altered, out _));
        }

        Assert.Equal(TokenCheck.Forged, signing.TryRead("not-a-ticket", out _));
        Assert.Equal(TokenCheck.Forged, signing.TryRead(new string('A', 200), out _));
        Assert.Equal(TokenCheck.Missing, signing.TryRead(null, out _));
    }

    [Fact]
    public void Ticket_WithAChangedNumberAndARecomputedMacUnderAnotherKey_IsRefused()
    {
        var ours = Signing("1:" + Secret(1));
        var theirs = Signing("1:" + Secret(2)); // same key id, different secret: a forger who guessed the format

        var forged = theirs.Sign(new Ticket(QueueSigning.NewTicketId(), 1, s_now));

        Assert.Equal(TokenCheck.Forged, ours.TryRead(forged, out _));
    }

    [Fact]
    public void Admission_ForItsOwnTicket_IsValidUntilItExpires()
    {
        var signing = Signing("1:" + Secret(1));
        var ticket = new Ticket(QueueSigning.NewTicketId(), 42, s_now);
        var token = signing.Sign(new Admission(ticket.Id, ticket.Sequence, s_now, s_now.AddMinutes(30)));

        Assert.Equal(TokenCheck.Valid, signing.Check(token, ticket, s_now.AddMinutes(29), out var admission));
        Assert.Equal(s_now.AddMinutes(30), admission!.ExpiresAt);
        Assert.Equal(TokenCheck.Expired, signing.Check(token, ticket, s_now.AddMinutes(30), out _));
    }

    [Fact]
    public void Admission_PresentedWithAnotherTicket_IsRefused()
    {
        var signing = Signing("1:" + Secret(1));
        var mine = new Ticket(QueueSigning.NewTicketId(), 42, s_now);
        var token = signing.Sign(new Admission(mine.Id, mine.Sequence, s_now, s_now.AddMinutes(30)));

        Assert.Equal(TokenCheck.OtherTicket, signing.Check(token, new Ticket(QueueSigning.NewTicketId(), 43, s_now), s_now, out _));
        Assert.Equal(TokenCheck.OtherTicket, signing.Check(token, mine with { Sequence = 43 }, s_now, out _));
        Assert.Equal(TokenCheck.OtherTicket, signing.Check(token, null, s_now, out _));
    }

    [Fact]
    public void TicketAndAdmission_CannotPassForEachOther()
    {
        var signing = Signing("1:" + Secret(1));
        var ticket = new Ticket(QueueSigning.NewTicketId(), 7, s_now);
        var ticketText = signing.Sign(ticket);
        var token = signing.Sign(new Admission(ticket.Id, 7, s_now, s_now.AddMinutes(30)));

        Assert.Equal(TokenCheck.Forged, signing.Check(ticketText, ticket, s_now, out _));
        Assert.Equal(TokenCheck.Forged, signing.TryRead(token, out _));
    }

    [Fact]
    public void Keys_WhileRotating_TheNewKeySignsAndTheOldStillVerifies()
    {
        var before = Signing("1:" + Secret(1));
        var during = Signing($"2:{Secret(2)},1:{Secret(1)}");
        var ticket = new Ticket(QueueSigning.NewTicketId(), 9, s_now);
        var old = before.Sign(ticket);

        var fresh = during.Sign(ticket);

        Assert.Equal(TokenCheck.Valid, during.TryRead(old, out _));
        Assert.Equal(TokenCheck.Valid, during.TryRead(fresh, out _));
        Assert.Equal(TokenCheck.Forged, before.TryRead(fresh, out _)); // key 2 is unknown there
    }

    private static QueueSigning Signing(string keys)
    {
        var database = new Database(new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = "Data Source=:memory:" });
        var ring = new SigningKeys(database, new WaitingRoomOptions { SigningKeys = keys }, new FixedClock(s_now));
        ring.LoadAsync().GetAwaiter().GetResult();
        return new QueueSigning(ring);
    }

    private static string Secret(byte seed) => Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + seed)).ToArray());
}
