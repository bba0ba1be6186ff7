using System.Diagnostics;
using System.Globalization;

namespace Immunise.Common;

/// <summary>
/// Why one row of an import file was not stored: its line number (the header is line 1), a stable kebab-case code and a
/// plain-English message. Never carries the row's personal data.
/// </summary>
public sealed record ImportRejection(long Line, string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>One parsed row of an import: a value to store, or the reason it was rejected.</summary>
public readonly record struct ImportRow<T>(long Line, T? Value, ImportRejection? Rejection)
    where T : class
{
    public static ImportRow<T> Accept(long line, T value) => new(line, value, null);

    public static ImportRow<T> Reject(long line, string code, string message) => new(line, null, new ImportRejection(line, code, message));
}

/// <summary>How far an import has got: rows read from the source, rows stored (inserted, updated or unchanged), rows rejected.</summary>
public sealed record ImportProgress(long Read, long Stored, long Rejected);

/// <summary>
/// What an import did. <see cref="Rejections"/> holds the first 1,000 rejections found, in line order; all of them go to the
/// rejects file (in the order found: rows rejected against the database come after their batch's other rejections).
/// </summary>
public sealed record ImportSummary(
    long Read,
    long Inserted,
    long Updated,
    long Unchanged,
    long Rejected,
    TimeSpan Elapsed,
    IReadOnlyList<ImportRejection> Rejections)
{
    public const int RejectionsKept = 1_000;

    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? Read / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Writes rejected rows to a CSV file: <c>line,nhs_number,reason</c>. The NHS number column is always blank: the file says
/// which line to fix and why, without copying personal data out of the source file.
/// </summary>
public sealed class RejectsWriter : IAsyncDisposable, IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;

    public RejectsWriter(TextWriter writer, bool ownsWriter = false)
    {
        _writer = writer;
        _ownsWriter = ownsWriter;
        _writer.Write("line,nhs_number,reason\n");
    }

    public static RejectsWriter Create(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        return new RejectsWriter(new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false), 65_536), ownsWriter: true);
    }

    /// <summary>The default rejects file for an input: <c>people.csv</c> → <c>people.csv.rejects.csv</c>.</summary>
    public static string DefaultPathFor(string input) => input + ".rejects.csv";

    public long Count { get; private set; }

    public void Write(ImportRejection rejection)
    {
        Count++;
        _writer.Write(rejection.Line.ToString(CultureInfo.InvariantCulture));
        _writer.Write(",,");
        _writer.Write(Quote(rejection.ToString()));
        _writer.Write('\n');
    }

    public void Dispose()
    {
        _writer.Flush();
        if (_ownsWriter)
        {
            _writer.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.FlushAsync();
        if (_ownsWriter)
        {
            await _writer.DisposeAsync();
        }
    }

    internal static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>The rows of one batch a writer stored, and those it rejected after looking at the database.</summary>
internal readonly record struct BatchOutcome(long Inserted, long Updated, IReadOnlyList<ImportRejection> Rejections);

/// <summary>Stores batches of accepted rows. One per import, on one connection.</summary>
internal interface IBatchWriter<T> : IAsyncDisposable
    where T : class
{
    /// <summary>How many batches may be written at once (each on its own connection): 1 on SQLite's single writer.</summary>
    int Parallelism => 1;

    Task<BatchOutcome> WriteAsync(IReadOnlyList<ImportRow<T>> batch, CancellationToken cancellationToken);
}

/// <summary>
/// The loop every import shares: read rows, drop rejects (to the rejects file), gather accepted rows into batches and
/// hand them to a writer. The next batch is gathered while the previous one is written, so parsing and storage overlap.
/// </summary>
internal static class ImportRunner
{
    public static async Task<ImportSummary> RunAsync<T>(
        IAsyncEnumerable<ImportRow<T>> rows,
        Func<ImportRow<T>, ImportRejection?> checkInFile,
        IBatchWriter<T> writer,
        int batchSize,
        RejectsWriter? rejects,
        IProgress<ImportProgress>? progress,
        CancellationToken cancellationToken)
        where T : class
    {
        var stopwatch = Stopwatch.StartNew();
        var kept = new List<ImportRejection>();
        long read = 0, inserted = 0, updated = 0, unchanged = 0, rejected = 0;

        void Reject(ImportRejection rejection)
        {
            rejected++;
            if (kept.Count < ImportSummary.RejectionsKept)
            {
                kept.Add(rejection);
            }

            rejects?.Write(rejection);
        }

        void Apply(int size, BatchOutcome outcome)
        {
            inserted += outcome.Inserted;
            updated += outcome.Updated;
            unchanged += size - outcome.Inserted - outcome.Updated - outcome.Rejections.Count;
            foreach (var rejection in outcome.Rejections.OrderBy(r => r.Line))
            {
                Reject(rejection);
            }

            progress?.Report(new ImportProgress(read, inserted + updated + unchanged, rejected));
        }

        var batch = new List<ImportRow<T>>(batchSize);
        var pending = new Queue<(int Count, Task<BatchOutcome> Task)>();
        try
        {
            await foreach (var row in rows.WithCancellation(cancellationToken))
            {
                read++;
                var rejection = row.Rejection ?? checkInFile(row);
                if (rejection is not null)
                {
                    Reject(rejection);
                }
                else
                {
                    batch.Add(row);
                }

                if (batch.Count >= batchSize)
                {
                    while (pending.Count >= writer.Parallelism)
                    {
                        var (count, task) = pending.Dequeue();
                        Apply(count, await task);
                    }

                    var toWrite = batch;
                    pending.Enqueue((toWrite.Count, Task.Run(() => writer.WriteAsync(toWrite, cancellationToken), cancellationToken)));
                    batch = new List<ImportRow<T>>(batchSize);
                }
                else if ((read & 0x3FFF) == 0)
                {
                    progress?.Report(new ImportProgress(read, inserted + updated + unchanged, rejected));
                }
            }

            if (batch.Count > 0)
            {
                while (pending.Count >= writer.Parallelism)
                {
                    var (count, task) = pending.Dequeue();
                    Apply(count, await task);
                }

                var last = batch;
                pending.Enqueue((last.Count, Task.Run(() => writer.WriteAsync(last, cancellationToken), cancellationToken)));
            }

            while (pending.Count > 0)
            {
                var (count, task) = pending.Dequeue();
                Apply(count, await task);
            }
        }
        finally
        {
            // On failure, let batches in flight finish before the writer's connections are closed.
            foreach (var (_, task) in pending)
            {
                try
                {
                    await task;
                }
                catch (Exception)
                {
                    // the first failure is already on its way up
                }
            }
        }

        progress?.Report(new ImportProgress(read, inserted + updated + unchanged, rejected));
        kept.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new ImportSummary(read, inserted, updated, unchanged, rejected, stopwatch.Elapsed, kept);
    }

    public static async IAsyncEnumerable<T> ToAsync<T>(IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            yield return item;
        }

        await Task.CompletedTask;
    }

    public static async IAsyncEnumerable<ImportRow<T>> Numbered<T>(IAsyncEnumerable<T> items, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class
    {
        // Line numbers as if the items came from a file with a header row.
        long line = 1;
        await foreach (var item in items.WithCancellation(cancellationToken))
        {
            yield return ImportRow<T>.Accept(++line, item);
        }
    }
}
