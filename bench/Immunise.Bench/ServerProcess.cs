using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Immunise.Storage;

namespace Immunise.Bench;

/// <summary>
/// The real service, started as its own process (Release build of Immunise.Web) on a free loopback port, so the server and the
/// load generator do not share a garbage collector or thread pool.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>
    /// The service over an already migrated and seeded database: Production settings, no demo data or banner, and no shipped
    /// campaigns loaded at start (a run loads what it measures).
    /// </summary>
    public static Dictionary<string, string> EnvironmentFor(DatabaseOptions database) => new()
    {
        ["Database__Provider"] = database.Provider.ToString(),
        ["Database__ConnectionString"] = database.ConnectionString,
        ["Database__MigrateOnStart"] = "false",
        ["Demo__SeedPeople"] = "0",
        ["Demo__Banner"] = "false",
        ["Eligibility__LoadShippedCampaigns"] = "false",
        ["Benchmarks__BareEndpoints"] = "true",
    };

    public static async Task<ServerProcess> StartAsync(string webDll, IReadOnlyDictionary<string, string> environment)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet", $"\"{webDll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(webDll)!,
        };
        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the web service.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[server] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The web service exited with code {process.ExitCode}.");
            }

            try
            {
                using var ready = await client.GetAsync("/health/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return new ServerProcess(process, address);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("The web service did not become ready within 3 minutes.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
