extern alias web;

using Door = web::Immunise.Web.WaitingRoom.WaitingRoomDoor;

namespace Immunise.Tests.WaitingRoom;

/// <summary>Where the waiting page may send a visitor back to: only a page of the booking journey on this site.</summary>
public sealed class WaitingRoomDoorTests
{
    [Theory]
    [InlineData("/book", "/book")]
    [InlineData("/book/flu", "/book/flu")]
    [InlineData("/book/time?appointment=2", "/book/time?appointment=2")]
    [InlineData("/book?x=1", "/book?x=1")]
    [InlineData(null, "/book")]
    [InlineData("", "/book")]
    [InlineData("https://example.com/book", "/book")]
    [InlineData("//example.com/book", "/book")]
    [InlineData("/bookings", "/book")]
    [InlineData("/book//example.com", "/book")]
    [InlineData("/book/../staff", "/book")]
    [InlineData("/book\\..\\staff", "/book")]
    [InlineData("/book/flu\r\nSet-Cookie: x=1", "/book")]
    [InlineData("/manage", "/book")]
    public void SafeReturn_OnlyPagesOfTheBookingJourney(string? returnUrl, string expected)
    {
        Assert.Equal(expected, Door.SafeReturn(returnUrl));
    }
}
