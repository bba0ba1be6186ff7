extern alias web;

using Immunise.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WebProgram = web::Program;

namespace Immunise.Bench;

/// <summary>
/// The real web app hosted in the benchmark's process on a loopback port (WebApplicationFactory on Kestrel, Production
/// environment, logs at Warning), for suites that add something from outside (a bench-only baseline endpoint) or read the
/// app's own services. <paramref name="settings"/> are configuration keys (<c>Section:Key</c>).
/// </summary>
internal sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplicationFactory<WebProgram> _factory;

    public InProcessServer(DatabaseOptions database, IReadOnlyDictionary<string, string>? settings = null, Action<IServiceCollection>? configure = null)
    {
        // WebApplicationFactory finds the app's content root from this variable (tests have a manifest instead).
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_IMMUNISE_WEB", Path.Combine(Workspace.RepositoryRoot(), "src", "Immunise.Web"));
        _factory = new WebApplicationFactory<WebProgram>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment("Production");
            foreach (var (key, value) in ServerProcess.EnvironmentFor(database))
            {
                host.UseSetting(key.Replace("__", ":", StringComparison.Ordinal), value);
            }

            host.UseSetting("Logging:LogLevel:Default", "Warning");
            host.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                host.UseSetting(key, value);
            }

            if (configure is not null)
            {
                host.ConfigureServices(configure);
            }
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
        Address = new Uri(_factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());
    }

    public Uri Address { get; }

    public IServiceProvider Services => _factory.Services;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();
}
