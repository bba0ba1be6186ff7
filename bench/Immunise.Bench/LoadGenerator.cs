using System.Diagnostics;
using System.Net;

namespace Immunise.Bench;

/// <summary>What one load run measured.</summary>
public sealed record LoadResult(string Name, int Concurrency, TimeSpan Duration, long Requests, long Errors, double P50Ms, double P99Ms)
{
    public double RequestsPerSecond => Requests / Duration.TotalSeconds;
}

/// <summary>
/// Closed-loop HTTP load on loopback: <c>concurrency</c> workers each send the next request as soon as the last one is answered,
/// for a fixed time after a warm-up. Bounded in time and count; targets only the local server it is given.
/// </summary>
public static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(
        string name,
        Uri baseAddress,
        Func<int, HttpRequestMessage> request,
        int concurrency,
        TimeSpan warmUp,
        TimeSpan duration,
        long maxRequests = 5_000_000)
    {
        if (!IPAddress.IsLoopback(IPAddress.Parse(baseAddress.Host == "localhost" ? "127.0.0.1" : baseAddress.Host)))
        {
            throw new InvalidOperationException("Benchmarks send traffic only to loopback.");
        }

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

        await DriveAsync(client, request, concurrency, warmUp, maxRequests, null);
        var latencies = new List<double>[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            latencies[i] = new List<double>(100_000);
        }

        var clock = Stopwatch.StartNew();
        var (requests, errors) = await DriveAsync(client, request, concurrency, duration, maxRequests, latencies);
        var elapsed = clock.Elapsed;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(name, concurrency, elapsed, requests, errors, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static async Task<(long Requests, long Errors)> DriveAsync(
        HttpClient client, Func<int, HttpRequestMessage> request, int concurrency, TimeSpan duration, long maxRequests, List<double>[]? latencies)
    {
        long sent = 0, errors = 0;
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var random = new Random(w * 7919 + 17);
            while (Stopwatch.GetTimestamp() < until)
            {
                var n = Interlocked.Increment(ref sent);
                if (n > maxRequests)
                {
                    break;
                }

                var started = Stopwatch.GetTimestamp();
                using var message = request(random.Next());
                try
                {
                    using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }

                latencies?[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return (Math.Min(sent, maxRequests), errors);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
