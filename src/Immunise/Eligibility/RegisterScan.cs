using System.Data.Common;
using System.Globalization;
using Immunise.People;
using Immunise.Storage;

namespace Immunise.Eligibility;

/// <summary>
/// Reads the whole register (or one region or ICB) for a <see cref="CountPlan"/> and counts it: the range of NHS numbers is
/// cut into chunks, and one worker a core takes chunks in turn, each on its own connection. A chunk is three ordered range
/// reads (people, their stored cohorts, their events of the plan's targets) joined as they stream, with only the columns the
/// plan needs and dates as numbers made by the database, so a person costs a few column reads and comparisons.
/// <para>
/// People with rows imported in NHS England's format (which may override any attribute) are not decided here: their NHS
/// numbers are handed back for the engine's own path, as are people with a stored cohort label containing a comma.
/// </para>
/// </summary>
internal sealed class RegisterScan(Database database)
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
        var workers = Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount)).Select(_ => Task.Run(async () =>
        {
            var mine = new CountTally(plan);
            var slow = new List<string>();
            await using var connection = await database.OpenSessionAsync(cancellationToken);
            using var reader = new ChunkReader(connection, database.Dialect.IsPostgres, plan, regionOdsCode, icbOdsCode);
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

                var read = reader.Read(from, to, mine, slow);
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
        command.CommandText = "SELECT min(nhs_number), max(nhs_number) FROM people";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(0))
        {
            return (1, 0);
        }

        return (long.Parse(reader.GetString(0), CultureInfo.InvariantCulture), long.Parse(reader.GetString(1), CultureInfo.InvariantCulture));
    }

    /// <summary>Reads chunks on one connection with its three commands prepared once.</summary>
    private sealed class ChunkReader : IDisposable
    {
        private readonly bool _postgres;
        private readonly CountPlan _plan;
        private readonly bool _allColumns;
        private readonly DbCommand _people;
        private readonly DbCommand _cohorts;
        private readonly DbCommand? _events;
        private readonly DbCommand _imported;
        private readonly ScannedPerson _person;
        private readonly List<(long Nhs, string Label)> _cohortRows = [];
        private readonly List<(long Nhs, int Target, bool Completed, int Day)> _eventRows = [];
        private readonly HashSet<long> _importedRows = [];
        private readonly Dictionary<string, int[]> _riskLabels = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int[]> _occupationLabels = new(StringComparer.Ordinal);
        private readonly int _careHomeLabel;

        public ChunkReader(DbConnection connection, bool postgres, CountPlan plan, string? region, string? icb)
        {
            _postgres = postgres;
            _plan = plan;
            _allColumns = (plan.Columns & ScanColumns.AllPersonColumns) != 0;
            _person = new ScannedPerson(plan.LabelCount, plan.Targets.Count);
            _careHomeLabel = plan.Label("care_home");

            var nhs = postgres ? "p.nhs_number::bigint" : "CAST(p.nhs_number AS INTEGER)";
            var dates = postgres
                ? "p.date_of_birth, p.date_of_death"
                : "CAST(replace(p.date_of_birth, '-', '') AS INTEGER), COALESCE(CAST(replace(p.date_of_death, '-', '') AS INTEGER), 0)";
            var joined = _allColumns || region is not null || icb is not null;
            var columns = _allColumns ? ", p.sex, p.postcode, p.gp_practice_code, pc.icb_ods_code, pc.region_ods_code, pc.lsoa_code" : "";
            var join = joined ? " LEFT JOIN postcodes pc ON pc.postcode = p.postcode" : "";
            var filter = (region is null ? "" : " AND pc.region_ods_code = @region") + (icb is null ? "" : " AND pc.icb_ods_code = @icb");
            _people = Command(connection,
                $"""
                SELECT {nhs}, {dates}, p.care_home_resident, p.clinical_risk_groups, p.occupations{columns}
                FROM people p{join}
                WHERE p.nhs_number >= @from AND p.nhs_number <= @to{filter}
                ORDER BY p.nhs_number
                """);
            if (region is not null)
            {
                Columns.Parameter(_people, "region", region);
            }

            if (icb is not null)
            {
                Columns.Parameter(_people, "icb", icb);
            }

            var plain = postgres ? "nhs_number::bigint" : "CAST(nhs_number AS INTEGER)";
            _cohorts = Command(connection,
                $"SELECT {plain}, cohort_label FROM person_cohorts WHERE nhs_number >= @from AND nhs_number <= @to ORDER BY nhs_number");
            _imported = Command(connection,
                $"SELECT DISTINCT {plain} FROM person_attributes WHERE nhs_number >= @from AND nhs_number <= @to");
            if (plan.Targets.Count > 0)
            {
                var slots = string.Join(" ", plan.Targets.Select((_, i) => $"WHEN @t{i} THEN {i}"));
                var wanted = string.Join(", ", plan.Targets.Select((_, i) => $"@t{i}"));
                var day = postgres ? "occurred_on" : "CAST(replace(occurred_on, '-', '') AS INTEGER)";
                _events = Command(connection,
                    $"""
                    SELECT {plain}, CASE target_disease {slots} END, status = 'completed', {day}
                    FROM vaccination_events
                    WHERE nhs_number >= @from AND nhs_number <= @to AND target_disease IN ({wanted})
                    ORDER BY nhs_number
                    """);
                for (var i = 0; i < plan.Targets.Count; i++)
                {
                    Columns.Parameter(_events, $"t{i}", plan.Targets[i]);
                }
            }
        }

        public void Dispose()
        {
            _people.Dispose();
            _cohorts.Dispose();
            _events?.Dispose();
            _imported.Dispose();
        }

        /// <summary>Counts the people whose NHS numbers lie in [from, to); returns how many were read.</summary>
        public long Read(long from, long to, CountTally tally, List<string> forEngine)
        {
            ReadCohorts(from, to);
            ReadEvents(from, to);
            ReadImported(from, to);
            Bind(_people, from, to);
            long read = 0;
            int cohort = 0, dose = 0;
            using var rows = _people.ExecuteReader();
            var person = _person;
            while (rows.Read())
            {
                read++;
                person.Clear();
                var nhs = rows.GetInt64(0);
                person.NhsNumber = nhs;
                person.DateOfBirth = DateNumber(rows, 1);
                person.DateOfDeath = rows.IsDBNull(2) ? 0 : DateNumber(rows, 2);
                person.CareHomeResident = _postgres ? rows.GetBoolean(3) : rows.GetInt64(3) != 0;
                person.ClinicalRiskGroups = rows.IsDBNull(4) ? null : rows.GetString(4);
                person.Occupations = rows.IsDBNull(5) ? null : rows.GetString(5);
                if (_allColumns)
                {
                    person.Sex = rows.GetString(6);
                    person.Postcode = rows.GetString(7);
                    person.GpPracticeCode = rows.IsDBNull(8) ? null : rows.GetString(8);
                    person.IcbOdsCode = rows.IsDBNull(9) ? null : rows.GetString(9);
                    person.RegionOdsCode = rows.IsDBNull(10) ? null : rows.GetString(10);
                    person.LsoaCode = rows.IsDBNull(11) ? null : rows.GetString(11);
                }

                var exact = !_importedRows.Contains(nhs);
                while (cohort < _cohortRows.Count && _cohortRows[cohort].Nhs < nhs)
                {
                    cohort++;
                }

                for (; cohort < _cohortRows.Count && _cohortRows[cohort].Nhs == nhs; cohort++)
                {
                    var label = _cohortRows[cohort].Label;
                    exact &= !label.Contains(',', StringComparison.Ordinal);
                    Join(person, _plan.Label(label));
                }

                Derive(person);
                while (dose < _eventRows.Count && _eventRows[dose].Nhs < nhs)
                {
                    dose++;
                }

                for (; dose < _eventRows.Count && _eventRows[dose].Nhs == nhs; dose++)
                {
                    var (_, target, completed, day) = _eventRows[dose];
                    ref var facts = ref person.Targets[target];
                    facts.Events++;
                    if (completed)
                    {
                        facts.Completed++;
                        facts.LastCompleted = Math.Max(facts.LastCompleted, day);
                    }
                }

                if (exact)
                {
                    tally.Add(person);
                }
                else
                {
                    forEngine.Add(nhs.ToString("D10", CultureInfo.InvariantCulture));
                }
            }

            return read;
        }

        private static void Join(ScannedPerson person, int label)
        {
            person.AnyCohort = true;
            if (label >= 0)
            {
                person.Member[label] = true;
            }
        }

        /// <summary>The cohorts the register's flags put a person in (as <see cref="RegisterPersonData.DerivedCohorts(PersonFactsView)"/>).</summary>
        private void Derive(ScannedPerson person)
        {
            if (person.CareHomeResident)
            {
                Join(person, _careHomeLabel);
            }

            Derive(person, person.ClinicalRiskGroups, _riskLabels);
            Derive(person, person.Occupations, _occupationLabels);
        }

        private void Derive(ScannedPerson person, string? codes, Dictionary<string, int[]> known)
        {
            if (string.IsNullOrEmpty(codes))
            {
                return;
            }

            if (!known.TryGetValue(codes, out var labels))
            {
                var view = known == _riskLabels ? new PersonFactsView(false, codes, null) : new PersonFactsView(false, null, codes);
                labels = known[codes] = [.. RegisterPersonData.DerivedCohorts(view).Select(_plan.Label)];
            }

            foreach (var label in labels)
            {
                Join(person, label);
            }
        }

        private int DateNumber(DbDataReader rows, int ordinal) =>
            _postgres ? CountPlan.ToNumber(rows.GetFieldValue<DateOnly>(ordinal)) : (int)rows.GetInt64(ordinal);

        private void ReadCohorts(long from, long to)
        {
            _cohortRows.Clear();
            Bind(_cohorts, from, to);
            using var rows = _cohorts.ExecuteReader();
            while (rows.Read())
            {
                _cohortRows.Add((rows.GetInt64(0), rows.GetString(1)));
            }
        }

        private void ReadEvents(long from, long to)
        {
            _eventRows.Clear();
            if (_events is null)
            {
                return;
            }

            Bind(_events, from, to);
            using var rows = _events.ExecuteReader();
            while (rows.Read())
            {
                var completed = _postgres ? rows.GetBoolean(2) : rows.GetInt64(2) != 0;
                _eventRows.Add((rows.GetInt64(0), rows.GetInt32(1), completed, DateNumber(rows, 3)));
            }
        }

        private void ReadImported(long from, long to)
        {
            _importedRows.Clear();
            Bind(_imported, from, to);
            using var rows = _imported.ExecuteReader();
            while (rows.Read())
            {
                _importedRows.Add(rows.GetInt64(0));
            }
        }

        private static void Bind(DbCommand command, long from, long to)
        {
            command.Parameters["from"].Value = from.ToString("D10", CultureInfo.InvariantCulture);
            command.Parameters["to"].Value = (to - 1).ToString("D10", CultureInfo.InvariantCulture);
        }

        private static DbCommand Command(DbConnection connection, string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            Columns.Parameter(command, "from", "");
            Columns.Parameter(command, "to", "");
            return command;
        }
    }
}
