using System.Globalization;
using Immunise.Storage;

namespace Immunise.Tests.Unit;

/// <summary>The digit-by-digit readers of stored instants and dates agree with the general parsers, and refuse other forms.</summary>
public sealed class InstantTextTests
{
    [Fact]
    public void TryParseFixed_ReadsBackEveryInstantFormatWrites()
    {
        var random = new Random(20261124);
        var start = new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        var end = new DateTimeOffset(2100, 12, 31, 23, 59, 59, TimeSpan.Zero).UtcTicks;
        for (var i = 0; i < 20_000; i++)
        {
            var instant = new DateTimeOffset(start + random.NextInt64(end - start), TimeSpan.Zero);
            var text = Instant.Format(instant);
            Assert.True(Instant.TryParseFixed(text, out var read), text);
            Assert.Equal(instant, read);
            Assert.Equal(TimeSpan.Zero, read.Offset);
            Assert.Equal(DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal), read);
        }
    }

    [Theory]
    [InlineData("2024-02-29T23:59:59.9999999Z", "2024-02-29T23:59:59.9999999+00:00")]
    [InlineData("0001-01-01T00:00:00.0000000Z", "0001-01-01T00:00:00.0000000+00:00")]
    [InlineData("9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9999999+00:00")]
    public void TryParseFixed_ReadsTheEdgesOfTheCalendar(string text, string expected)
    {
        Assert.True(Instant.TryParseFixed(text, out var read));
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), read);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2024-02-30T10:00:00.0000000Z")] // no 30 February
    [InlineData("2023-02-29T10:00:00.0000000Z")] // not a leap year
    [InlineData("2024-13-01T10:00:00.0000000Z")]
    [InlineData("2024-00-01T10:00:00.0000000Z")]
    [InlineData("2024-01-01T24:00:00.0000000Z")]
    [InlineData("2024-01-01T10:60:00.0000000Z")]
    [InlineData("2024-01-01T10:00:60.0000000Z")]
    [InlineData("0000-01-01T10:00:00.0000000Z")]
    [InlineData("2024-01-01T10:00:00.000000Z")] // six fraction digits: another width
    [InlineData("2024-01-01T10:00:00.0000000+")]
    [InlineData("2024-01-01 10:00:00.0000000Z")]
    [InlineData("2024-01-01T10:00:0x.0000000Z")]
    [InlineData("2024-01-01T10:00:00+00:00")]
    [InlineData("２０２４-01-01T10:00:00.0000000Z")] // digits, but not ASCII ones
    public void TryParseFixed_RefusesAnythingElse(string text)
    {
        Assert.False(Instant.TryParseFixed(text, out var read));
        Assert.Equal(default, read);
    }

    [Fact]
    public void TryParseDate_ReadsEveryDayOfTwoCenturies()
    {
        for (var date = new DateOnly(1900, 1, 1); date <= new DateOnly(2100, 12, 31); date = date.AddDays(1))
        {
            var text = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            Assert.True(Instant.TryParseDate(text, out var read), text);
            Assert.Equal(date, read);
        }
    }

    [Theory]
    [InlineData("2023-02-29")]
    [InlineData("2024-04-31")]
    [InlineData("2024-1-01")]
    [InlineData("2024/01/01")]
    [InlineData("2024-01-01T00:00:00")]
    [InlineData("0000-01-01")]
    public void TryParseDate_RefusesAnythingElse(string text) => Assert.False(Instant.TryParseDate(text, out _));

    [Theory]
    [InlineData("2024-06-01T10:00:00+01:00", "2024-06-01T09:00:00+00:00")] // an offset: read as that instant, in UTC
    [InlineData("2024-06-01T10:00:00.123Z", "2024-06-01T10:00:00.1230000+00:00")] // another fraction width
    [InlineData("2024-06-01T10:00:00", "2024-06-01T10:00:00+00:00")] // no zone: taken as UTC
    [InlineData("2024-06-01T10:00:00.0000001Z", "2024-06-01T10:00:00.0000001+00:00")] // the stored form
    public void Parse_ReadsOtherIsoFormsThroughTheGeneralParser(string text, string expected)
    {
        var read = Instant.Parse(text);
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), read);
        Assert.Equal(TimeSpan.Zero, read.Offset);
    }

    [Fact]
    public void Parse_RefusesWhatIsNoInstant()
    {
        Assert.Throws<FormatException>(() => Instant.Parse("2024-02-30T10:00:00.0000000Z"));
        Assert.Throws<FormatException>(() => Instant.ParseDate("2023-02-29"));
        Assert.Throws<FormatException>(() => Instant.ParseDate("2024-1-01"));
        Assert.Equal(new DateOnly(2024, 2, 29), Instant.ParseDate("2024-02-29"));
    }
}
