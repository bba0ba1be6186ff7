using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Immunise.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster for the test run: <c>initdb</c> into a temporary directory, <c>pg_ctl start</c> on a free
/// loopback port, removed when the test process exits. Binaries come from <c>/usr/lib/postgresql/*/bin</c> (./test.sh
/// installs them when missing). As root, the server runs as the <c>postgres</c> user, since PostgreSQL refuses root.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private static readonly Lazy<PostgresCluster> s_shared = new(() => new PostgresCluster(), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string _bin;
    private readonly string _directory;
    private readonly bool _asPostgresUser;
    private int _disposed;

    /// <summary>
    /// Starts a cluster. Test clusters skip fsync (a crash loses nothing a test needs); a <paramref name="durable"/> one keeps
    /// PostgreSQL's default durability, for benchmarks that must report honest write rates.
    /// </summary>
    public PostgresCluster(bool durable = false)
    {
        _bin = FindBinaries();
        _directory = Path.Combine(Path.GetTempPath(), $"immunise-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(_directory);
        _asPostgresUser = Environment.UserName == "root";
        RemoveLeftovers();
        if (_asPostgresUser)
        {
            Run("chown", $"postgres:postgres {_directory}");
        }

        Port = FreePort();
        var data = Path.Combine(_directory, "data");
        Run(Tool("initdb"), $"-D {data} -U postgres -A trust -E UTF8 --no-sync --no-instructions --locale=C.UTF-8", asPostgres: true);
        var options = $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=1GB " +
            (durable ? "-c max_wal_size=8GB -c wal_buffers=64MB -c wal_compression=on -c checkpoint_timeout=30min" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        Run(Tool("pg_ctl"), $"-D {data} -l {Path.Combine(_directory, "server.log")} -w -t 60 -o \"{options}\" start", asPostgres: true);
        AdminConnectionString = $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    /// <summary>The cluster every test in this process shares.</summary>
    public static PostgresCluster Shared => s_shared.Value;

    public int Port { get; }

    public string AdminConnectionString { get; }

    /// <summary>A connection string for a database on this cluster.</summary>
    public string ConnectionStringFor(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size=50;Include Error Detail=false";

    public void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(AdminConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            Run(Tool("pg_ctl"), $"-D {Path.Combine(_directory, "data")} -m immediate -w stop", asPostgres: true);
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// Removes clusters left by test processes that are gone (a test host can be ended before its exit handlers finish):
    /// each directory carries its owner's process id, and a server still running there is stopped first.
    /// </summary>
    private void RemoveLeftovers()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), "immunise-pg-*"))
        {
            var parts = Path.GetFileName(directory).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[2], out var owner) || IsRunning(owner))
            {
                continue;
            }

            try
            {
                var data = Path.Combine(directory, "data");
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                {
                    Run(Tool("pg_ctl"), $"-D {data} -m immediate -w stop", asPostgres: true);
                }
            }
            catch (InvalidOperationException)
            {
                // not running
            }

            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private string Tool(string name) => Path.Combine(_bin, name);

    private void Run(string file, string arguments, bool asPostgres = false)
    {
        var start = asPostgres && _asPostgresUser
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = _directory;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(file)} timed out.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {stdout.Result} {stderr.Result}");
        }
    }

    private static string FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            "PostgreSQL server binaries were not found under /usr/lib/postgresql/*/bin. Run ./test.sh, which installs them.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
