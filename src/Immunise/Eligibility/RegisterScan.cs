using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Immunise.People;
using Immunise.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Immunise.Eligibility;

/// <summary>
/// Reads the whole register (or one region or ICB) for a <see cref="CountPlan"/> and counts it: the range of NHS numbers is
/// cut into chunks, and workers take chunks in turn, each on its own connection. A chunk is three ordered range reads
/// (people, their stored cohorts, their events of the plan's targets) joined by NHS number, with only the columns the plan
/// needs, so a person costs a few column reads and comparisons. Each database is read its cheapest way: SQLite's statements
/// are stepped directly (<see cref="SqliteChunks"/>), PostgreSQL's rows come as binary <c>COPY</c> (<see cref="PostgresChunks"/>).
/// The methods run for every person are compiled fully optimised from their first call (<c>AggressiveOptimization</c>): a
/// count is often its process's only work, and tiered compilation otherwise runs much of the first count unoptimised.
/// <para>
/// People with rows imported in NHS England's format (which may override any attribute) are not decided here: their NHS
/// numbers are handed back for the engine's own path, as are people with a stored cohort label containing a comma.
/// </para>
/// </summary>
internal sealed partial class RegisterScan(Database database)
{
    private const int Chunks = 64;

    public sealed record Outcome(CountTally Tally, IReadOnlyList<string> ForEngine);

    public async Task<Outcome> CountAsync(
        CountPlan plan, string? regionOdsCode, string? icbOdsCode, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var (first, last) = await RangeAsync(cancellationToken);
        var tally = new CountTally(plan);
        var forEngine = new List<string>();
        if (first > last)
        {
            return new Outcome(tally, forEngine);
        }

        var width = Math.Max(1, ((last - first) / Chunks) + 1);
        var next = -1;
        long people = 0;

        // On PostgreSQL the server's backends do about half the work: twice as many chunks in flight as cores keep both busy.
        var inFlight = Math.Max(1, Environment.ProcessorCount) * (database.Provider == DatabaseProvider.Postgres ? 2 : 1);
        var workers = Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            var mine = new CountTally(plan);
            var slow = new List<string>();
            await using var connection = await database.OpenSessionAsync(cancellationToken);
            using ChunkReader reader = connection is NpgsqlConnection postgres
                ? new PostgresChunks(postgres, plan, regionOdsCode, icbOdsCode)
                : new SqliteChunks((SqliteConnection)connection, plan, regionOdsCode, icbOdsCode);
            int chunk;
            while ((chunk = Interlocked.Increment(ref next)) < Chunks)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var from = first + (chunk * width);
                var to = Math.Min(last + 1, from + width);
                if (from >= to)
                {
                    continue;
                }

                var read = await reader.ReadAsync(from, to, mine, slow, cancellationToken);
                progress?.Report(Interlocked.Add(ref people, read));
            }

            return (mine, slow);
        }, cancellationToken)).ToList();

        foreach (var (mine, slow) in await Task.WhenAll(workers))
        {
            tally.Merge(mine);
            forEngine.AddRange(slow);
        }

        return new Outcome(tally, forEngine);
    }

    private async Task<(long First, long Last)> RangeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();

        // Two subqueries: SQLite answers a lone min() or max() from the index, but both in one SELECT by reading every row.
        command.CommandText = "SELECT (SELECT min(nhs_number) FROM people), (SELECT max(nhs_number) FROM people)";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(0))
        {
            return (1, 0);
        }

        return (long.Parse(reader.GetString(0), CultureInfo.InvariantCulture), long.Parse(reader.GetString(1), CultureInfo.InvariantCulture));
    }

    /// <summary>A stored cohort label as the plan knows it: its number (-1 when the plan never names it), and whether it has a comma.</summary>
    private readonly record struct StoredLabel(int Label, bool HasComma);

    /// <summary>
    /// What both databases' readers share: one reused <see cref="ScannedPerson"/> put together from the person's row, stored
    /// cohorts and events as the reader meets them (<see cref="Begin"/>, <see cref="Cohort"/>, <see cref="Event"/>), the
    /// register's flags turned into cohorts, and the decision added to the tally (<see cref="End"/>). Texts that repeat
    /// across people (risk groups, occupations, cohort labels) are resolved to the plan's label numbers once each.
    /// </summary>
    private abstract class ChunkReader : IDisposable
    {
        private readonly CountPlan _plan;
        private readonly int _careHomeLabel;
        private bool _exact;

        protected ChunkReader(CountPlan plan)
        {
            _plan = plan;
            _careHomeLabel = plan.Label("care_home");
            AllColumns = (plan.Columns & ScanColumns.AllPersonColumns) != 0;
            Person = new ScannedPerson(plan.LabelCount, plan.Targets.Count);
            RiskLabels = new TextMemo<int[]>(codes => Derived(new PersonFactsView(false, codes, null)));
            OccupationLabels = new TextMemo<int[]>(codes => Derived(new PersonFactsView(false, null, codes)));
            CohortLabels = new TextMemo<StoredLabel>(label => new StoredLabel(plan.Label(label), label.Contains(',', StringComparison.Ordinal)));
        }

        /// <summary>Whether the plan reads every person column as text (a rule it could not specialise).</summary>
        protected bool AllColumns { get; }

        protected ScannedPerson Person { get; }

        /// <summary>NHS numbers in the chunk with rows imported in NHS England's format.</summary>
        protected HashSet<long> Imported { get; } = [];

        protected TextMemo<int[]> RiskLabels { get; }

        protected TextMemo<int[]> OccupationLabels { get; }

        protected TextMemo<StoredLabel> CohortLabels { get; }

        /// <summary>Counts the people whose NHS numbers lie in [from, to); returns how many were read.</summary>
        public abstract ValueTask<long> ReadAsync(long from, long to, CountTally tally, List<string> forEngine, CancellationToken cancellationToken);

        public abstract void Dispose();

        /// <summary>Starts the next person; their row's columns are then set on <see cref="Person"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        protected void Begin(long nhs)
        {
            Person.Clear();
            Person.NhsNumber = nhs;
            _exact = Imported.Count == 0 || !Imported.Contains(nhs);
        }

        protected void Cohort(StoredLabel label)
        {
            _exact &= !label.HasComma;
            Join(label.Label);
        }

        protected void Event(int target, bool completed, int day)
        {
            ref var facts = ref Person.Targets[target];
            facts.Events++;
            if (completed)
            {
                facts.Completed++;
                facts.LastCompleted = Math.Max(facts.LastCompleted, day);
            }
        }

        /// <summary>
        /// Ends the person: the cohorts the register's flags put them in (as <see cref="RegisterPersonData.DerivedCohorts(PersonFactsView)"/>;
        /// the risk groups' and occupations' from <see cref="RiskLabels"/> and <see cref="OccupationLabels"/>) are joined, then
        /// the person is decided, or handed to the engine.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        protected void End(int[] risks, int[] occupations, CountTally tally, List<string> forEngine)
        {
            if (Person.CareHomeResident)
            {
                Join(_careHomeLabel);
            }

            foreach (var label in risks)
            {
                Join(label);
            }

            foreach (var label in occupations)
            {
                Join(label);
            }

            if (_exact)
            {
                tally.Add(Person);
            }
            else
            {
                forEngine.Add(Person.NhsNumber.ToString("D10", CultureInfo.InvariantCulture));
            }
        }

        private void Join(int label)
        {
            Person.AnyCohort = true;
            if (label >= 0)
            {
                Person.Member[label] = true;
            }
        }

        private int[] Derived(PersonFactsView view) => [.. RegisterPersonData.DerivedCohorts(view).Select(_plan.Label)];
    }

    /// <summary>
    /// Something worked out once per distinct text (a person's risk-group codes, a stored cohort label) and found again from
    /// the text's UTF-8 bytes as the database hands them over, so a text seen before costs a hash lookup and no string.
    /// </summary>
    private sealed class TextMemo<T>
    {
        private const int LongestOnStack = 256;
        private readonly Func<string, T> _make;
        private readonly Dictionary<string, T> _known = new(StringComparer.Ordinal);
        private readonly Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> _byChars;
        private readonly T _empty;

        public TextMemo(Func<string, T> make)
        {
            _make = make;
            _byChars = _known.GetAlternateLookup<ReadOnlySpan<char>>();
            _empty = Get(string.Empty);
        }

        public T Get(string text)
        {
            if (!_known.TryGetValue(text, out var value))
            {
                value = _known[text] = _make(text);
            }

            return value;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public T Get(ReadOnlySpan<byte> utf8)
        {
            if (utf8.Length > LongestOnStack)
            {
                return Get(Encoding.UTF8.GetString(utf8));
            }

            if (utf8.IsEmpty)
            {
                return _empty;
            }

            Span<char> buffer = stackalloc char[utf8.Length];
            var chars = buffer[..Encoding.UTF8.GetChars(utf8, buffer)];
            return _byChars.TryGetValue(chars, out var value) ? value : Get(new string(chars));
        }
    }
}
