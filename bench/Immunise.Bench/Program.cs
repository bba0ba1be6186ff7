using System.Diagnostics;
using System.Globalization;
using System.Text;
using Immunise.Bench;

// Immunise benchmarks. Each figure is measured beside a baseline in the same run on the same machine, and reported as a
// ratio as well as an absolute rate. Usage:
//   dotnet run -c Release --project bench/Immunise.Bench -- [all|import|lookup|eligibility|count|booking|notify|waitingroom] [--people N] [--seconds S]
//       [--concurrency C] [--databases sqlite,postgres] [--rounds R] [--out FILE]
var options = BenchOptions.Parse(args);
var report = new StringBuilder();
report.AppendLine(CultureInfo.InvariantCulture, $"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Machine.Describe()}");
report.AppendLine();

try
{
    if (options.Suite is "all" or "import")
    {
        report.Append(await ImportBenchmark.RunAsync(options));
    }

    if (options.Suite is "all" or "lookup")
    {
        report.Append(await LookupBenchmark.RunAsync(options));
    }

    if (options.Suite is "all" or "eligibility")
    {
        report.Append(await EligibilityBenchmark.RunAsync(options));
    }

    if (options.Suite is "count")
    {
        report.Append(await EligibilityBenchmark.RunCountsAsync(options));
    }

    if (options.Suite is "all" or "booking")
    {
        report.Append(await BookingBenchmark.RunAsync(options));
    }

    if (options.Suite is "all" or "notify")
    {
        report.Append(await NotifyBenchmark.RunAsync(options));
    }

    if (options.Suite is "all" or "waitingroom")
    {
        report.Append(await WaitingRoomBenchmark.RunAsync(options));
    }
}
finally
{
    Workspace.Cleanup();
}

Console.WriteLine();
Console.WriteLine(report);
if (options.Out is { } file)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
    await File.WriteAllTextAsync(file, report.ToString());
    Console.WriteLine($"Written to {file}");
}

return 0;

namespace Immunise.Bench
{
    public sealed record BenchOptions(string Suite, int People, int Seconds, int Concurrency, IReadOnlyList<string> Databases, string? Out, int Rounds)
    {
        public static BenchOptions Parse(string[] args)
        {
            var suite = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
            string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
            int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
            return new BenchOptions(
                suite,
                Int("--people", 1_000_000),
                Int("--seconds", 10),
                Int("--concurrency", 32),
                (Value("--databases") ?? "sqlite,postgres").Split(',', StringSplitOptions.RemoveEmptyEntries),
                Value("--out"),
                Int("--rounds", 3));
        }
    }

    public static class Machine
    {
        public static string Describe()
        {
            var cpu = File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim()
                : null;
            var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
            return $"{Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {memory:F0} GiB, {Environment.OSVersion}, .NET {Environment.Version}";
        }

        /// <summary>The one-minute load average (runnable and waiting tasks), or "?" where the system does not say.</summary>
        public static string LoadAverage() =>
            File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
    }

    /// <summary>Temporary files and clusters made by a run, removed at the end.</summary>
    public static class Workspace
    {
        private static readonly List<Action> s_cleanups = [];

        public static string Root { get; } = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"immunise-bench-{Environment.ProcessId}")).FullName;

        public static void OnCleanup(Action action) => s_cleanups.Add(action);

        public static void Cleanup()
        {
            foreach (var action in Enumerable.Reverse(s_cleanups))
            {
                try
                {
                    action();
                }
                catch (Exception e) when (e is IOException or InvalidOperationException)
                {
                    Console.Error.WriteLine($"cleanup: {e.Message}");
                }
            }

            Directory.Delete(Root, recursive: true);
        }

        public static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Immunise.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException("Run the benchmarks from inside the repository.");
        }

        public static void Log(string message) => Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {message}");

        public static async Task RunAsync(string file, string arguments, string workingDirectory)
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = workingDirectory })!;
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {arguments} failed with exit code {process.ExitCode}.");
            }
        }
    }
}
