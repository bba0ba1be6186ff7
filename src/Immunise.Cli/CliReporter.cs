using System.Text.Json;
using Immunise.Common;
using Spectre.Console;

namespace Immunise.Cli;

/// <summary>
/// How the CLI shows long work: a Spectre.Console progress bar on an interactive terminal; otherwise (output redirected,
/// tests, <c>--json</c>) nothing while working and plain lines at the end.
/// </summary>
internal sealed class CliReporter(TextWriter output, TextWriter error, bool json)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public bool Json => json;

    public bool Interactive => !json && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public void Line(string text)
    {
        if (!json)
        {
            output.WriteLine(text);
        }
    }

    public void Error(string text) => error.WriteLine(text);

    public void WriteJson(object value) => output.WriteLine(JsonSerializer.Serialize(value, s_json));

    /// <summary>Runs work with a progress bar (total known: a bar; unknown: a running count).</summary>
    public async Task<T> WithProgressAsync<T>(string title, Func<double?> total, Func<IProgress<ImportProgress>, Task<T>> work, Func<ImportProgress, double>? value = null)
    {
        value ??= p => p.Read;
        if (!Interactive)
        {
            return await work(new Progress(_ => { }));
        }

        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(title, maxValue: total() ?? 100);
                task.IsIndeterminate = total() is null;
                result = await work(new Progress(p =>
                {
                    task.Description = $"{title}: {p.Read:N0} read, {p.Rejected:N0} rejected";
                    if (total() is { } max)
                    {
                        task.MaxValue = max;
                        task.Value = Math.Min(max, value(p));
                    }
                }));
                task.Value = task.MaxValue;
                task.StopTask();
            });
        return result;
    }

    public void Summary(string what, ImportSummary summary, string? rejectsPath)
    {
        if (json)
        {
            WriteJson(new
            {
                what,
                summary.Read,
                summary.Inserted,
                summary.Updated,
                summary.Unchanged,
                summary.Rejected,
                seconds = Math.Round(summary.Elapsed.TotalSeconds, 3),
                rowsPerSecond = Math.Round(summary.RowsPerSecond),
                rejectsFile = summary.Rejected > 0 ? rejectsPath : null,
            });
            return;
        }

        output.WriteLine(
            $"{what}: read {summary.Read:N0}, inserted {summary.Inserted:N0}, updated {summary.Updated:N0}, unchanged {summary.Unchanged:N0}, " +
            $"rejected {summary.Rejected:N0} in {summary.Elapsed.TotalSeconds:N1} s ({summary.RowsPerSecond:N0} rows/s)");
        if (summary.Rejected > 0 && rejectsPath is not null)
        {
            error.WriteLine($"{summary.Rejected:N0} row(s) rejected: see {rejectsPath} (line numbers and reasons).");
        }
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (no synchronisation context needed).</summary>
    private sealed class Progress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }
}
