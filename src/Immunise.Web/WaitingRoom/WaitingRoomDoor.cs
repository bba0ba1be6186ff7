using System.Threading.RateLimiting;
using Immunise.WaitingRoom;

namespace Immunise.Web.WaitingRoom;

/// <summary>
/// The web side of the waiting room: where a visitor's ticket and admission token travel (HttpOnly cookies for browsers;
/// headers <c>X-Queue-Ticket</c> and <c>X-Admission-Token</c> for API clients), how tickets are given (at most
/// <see cref="WaitingRoomOptions.TicketsPerClientPerMinute"/> per client address, and never a second one to a client that
/// presents a valid ticket), and the check every guarded request passes.
/// </summary>
public sealed class WaitingRoomDoor : IDisposable
{
    public const string TicketCookie = "Immunise-Queue";
    public const string AdmissionCookie = "Immunise-Admission";
    public const string TicketHeader = "X-Queue-Ticket";
    public const string AdmissionHeader = "X-Admission-Token";

    private readonly QueueSigning _signing;
    private readonly SigningKeys _keys;
    private readonly QueueCounters _counters;
    private readonly QueueStatus _status;
    private readonly IssueTickets _issue;
    private readonly WaitingRoomOptions _options;
    private readonly TimeProvider _clock;
    private readonly PartitionedRateLimiter<HttpContext> _limiter;
    private readonly ILogger<WaitingRoomDoor> _logger;

    public WaitingRoomDoor(
        QueueSigning signing, SigningKeys keys, QueueCounters counters, QueueStatus status, IssueTickets issue, WaitingRoomOptions options, TimeProvider clock,
        ILogger<WaitingRoomDoor> logger)
    {
        _logger = logger;
        _signing = signing;
        _keys = keys;
        _counters = counters;
        _status = status;
        _issue = issue;
        _options = options;
        _clock = clock;
        // ASP.NET Core's rate limiter, one fixed window per client address (behind a proxy, configure forwarded headers).
        _limiter = PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimitPartition.GetFixedWindowLimiter(
            http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.TicketsPerClientPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    public QueueSigning Signing => _signing;

    public QueueStatus Status => _status;

    public ValueTask<QueueSnapshot> CountersAsync(CancellationToken cancellationToken) => _counters.GetAsync(cancellationToken);

    public DateTimeOffset Now => _clock.GetUtcNow();

    public ValueTask ReadyAsync() => _keys.EnsureLoadedAsync();

    /// <summary>The ticket presented (header first, then cookie) and what it turned out to be.</summary>
    public TokenCheck ReadTicket(HttpContext context, out Ticket? ticket)
    {
        var text = context.Request.Headers[TicketHeader].ToString() is { Length: > 0 } header ? header : context.Request.Cookies[TicketCookie];
        return _signing.TryRead(text, out ticket);
    }

    /// <summary>Whether the request carries a valid admission token for <paramref name="ticket"/> (header first, then cookie).</summary>
    public TokenCheck CheckAdmission(HttpContext context, Ticket? ticket)
    {
        var text = context.Request.Headers[AdmissionHeader].ToString() is { Length: > 0 } header ? header : context.Request.Cookies[AdmissionCookie];
        return _signing.Check(text, ticket, _clock.GetUtcNow(), out _);
    }

    /// <summary>A new ticket for this client, or null when it has had too many this minute.</summary>
    public async Task<IssuedTicket?> IssueAsync(HttpContext context)
    {
        using var lease = _limiter.AttemptAcquire(context);
        if (!lease.IsAcquired)
        {
            WaitingRoomLog.Refused(_logger, StatusCodes.Status429TooManyRequests, "too-many-tickets");
            return null;
        }

        return await _issue.IssueAsync(context.RequestAborted);
    }

    public void KeepTicket(HttpContext context, Ticket ticket) =>
        context.Response.Cookies.Append(TicketCookie, _signing.Sign(ticket), CookieFor(context, ticket.IssuedAt + _options.TicketLifetime - _clock.GetUtcNow()));

    public void KeepAdmission(HttpContext context, Admission admission) =>
        context.Response.Cookies.Append(AdmissionCookie, _signing.Sign(admission), CookieFor(context, admission.ExpiresAt - _clock.GetUtcNow()));

    /// <summary>
    /// After a booking is confirmed: the ticket's turn is used (its admission is no longer given again, and its holder no longer
    /// counts as active), and the browser forgets its admission.
    /// </summary>
    public async Task FinishAsync(HttpContext context)
    {
        if (!context.Request.Cookies.ContainsKey(TicketCookie))
        {
            return;
        }

        await ReadyAsync();
        if (ReadTicket(context, out var ticket) == TokenCheck.Valid && ticket!.Numbered)
        {
            await _status.FinishAsync(ticket, context.RequestAborted);
            context.Response.Cookies.Delete(AdmissionCookie, CookieFor(context, null));
        }
    }

    /// <summary>
    /// Cookies a browser sends on its own top-level navigations from elsewhere too (SameSite=Lax: a link from an email or the
    /// NHS website must not lose the visitor's place), HttpOnly, Secure over HTTPS, kept for what is left of the ticket's or
    /// admission's life (Max-Age, counted by the browser, so a browser whose clock is wrong keeps them too; what counts is the
    /// time signed inside them).
    /// </summary>
    private static CookieOptions CookieFor(HttpContext context, TimeSpan? keep) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = context.Request.IsHttps,
        Path = "/",
        IsEssential = true,
        MaxAge = keep is { } k ? (k > TimeSpan.FromSeconds(1) ? k : TimeSpan.FromSeconds(1)) : null,
    };

    /// <summary>
    /// A return address inside the booking journey (a path of this site under /book: no other host, no way out of /book, no
    /// control characters), else /book.
    /// </summary>
    public static string SafeReturn(string? returnUrl) =>
        returnUrl is { Length: > 0 and <= 512 } url && url.StartsWith("/book", StringComparison.Ordinal) && (url.Length == 5 || url[5] is '/' or '?')
            && !url.Contains("//", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal)
            && !url.Contains("..", StringComparison.Ordinal) && !url.Any(char.IsControl)
            ? url
            : "/book";

    public void Dispose() => _limiter.Dispose();
}
