using System.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;

namespace Immunise.Eligibility;

internal sealed partial class RegisterScan
{
    /// <summary>
    /// Reads chunks from PostgreSQL as binary <c>COPY … TO STDOUT</c>, its bytes parsed here (<see cref="CopyRows"/>): the
    /// chunk's cohorts and events first (kept in lists reused from chunk to chunk), then its people streamed and merged with
    /// them. Dates come as <c>date</c>; NHS numbers as their text, parsed here (a cast to <c>bigint</c> in every row cost the
    /// server more than the parse costs us); texts are looked up by their bytes, so a person makes no string.
    /// <c>COPY</c> takes no parameters: the bounds are digits and the targets the register's own names, written into the
    /// statement; a region or ICB goes in as a transaction setting. The copies are read asynchronously: Npgsql's sockets are
    /// non-blocking, so a synchronous read that has to wait for the server waits through the socket engine and the thread
    /// pool, which cost the client about a third more per person.
    /// </summary>
    private sealed class PostgresChunks : ChunkReader
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction _transaction;
        private readonly string _people;
        private readonly string _cohorts;
        private readonly string _imported;
        private readonly string? _events;
        private readonly List<(long Nhs, StoredLabel Label)> _cohortRows = [];
        private readonly List<(long Nhs, int Target, bool Completed, int Day)> _eventRows = [];
        private readonly CopyRows _rows = new();
        private readonly Action<CopyRows> _addImported;
        private readonly Action<CopyRows> _addCohort;
        private readonly Action<CopyRows> _addEvent;
        private readonly Action<CopyRows> _decide;
        private CountTally? _tally;
        private List<string>? _forEngine;
        private int _cohortAt;
        private int _eventAt;

        public PostgresChunks(NpgsqlConnection connection, CountPlan plan, string? region, string? icb)
            : base(plan)
        {
            _connection = connection;
            (_addImported, _addCohort, _addEvent, _decide) = (AddImported, AddCohort, AddEvent, Decide);

            // One read-only transaction for the worker, whose settings keep every range read in its index's order: without
            // them the planner prefers a bitmap scan and a sort by NHS number (twice the server's work), or parallel workers.
            _transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
            using (var settings = connection.CreateCommand())
            {
                settings.CommandText = "SET TRANSACTION READ ONLY; SET LOCAL enable_sort = off; SET LOCAL max_parallel_workers_per_gather = 0";
                settings.ExecuteNonQuery();
            }

            if (region is not null || icb is not null)
            {
                using var settings = connection.CreateCommand();
                settings.CommandText = "SELECT set_config('immunise.count_region', @region, true), set_config('immunise.count_icb', @icb, true)";
                settings.Parameters.AddWithValue("region", region ?? "");
                settings.Parameters.AddWithValue("icb", icb ?? "");
                settings.ExecuteNonQuery();
            }

            // {0} and {1} are the chunk's first and last NHS numbers.
            var joined = AllColumns || region is not null || icb is not null;
            var columns = AllColumns ? ", p.sex, p.postcode, p.gp_practice_code, pc.icb_ods_code, pc.region_ods_code, pc.lsoa_code" : "";
            var join = joined ? " LEFT JOIN postcodes pc ON pc.postcode = p.postcode" : "";
            var filter = (region is null ? "" : " AND pc.region_ods_code = current_setting('immunise.count_region')")
                + (icb is null ? "" : " AND pc.icb_ods_code = current_setting('immunise.count_icb')");
            _people = CopyOut(
                $$"""
                SELECT p.nhs_number, p.date_of_birth, p.date_of_death, p.care_home_resident, p.clinical_risk_groups, p.occupations{{columns}}
                FROM people p{{join}}
                WHERE p.nhs_number >= '{0}' AND p.nhs_number <= '{1}'{{filter}}
                ORDER BY p.nhs_number
                """);
            _cohorts = CopyOut("SELECT c.nhs_number, c.cohort_label FROM person_cohorts c WHERE c.nhs_number >= '{0}' AND c.nhs_number <= '{1}' ORDER BY c.nhs_number");
            _imported = CopyOut("SELECT DISTINCT a.nhs_number FROM person_attributes a WHERE a.nhs_number >= '{0}' AND a.nhs_number <= '{1}'");
            if (plan.Targets.Count > 0)
            {
                var slots = string.Join(" ", plan.Targets.Select((t, i) => $"WHEN {Literal(t)} THEN {i}"));
                var wanted = string.Join(", ", plan.Targets.Select(Literal));
                _events = CopyOut(
                    $$"""
                    SELECT v.nhs_number, CASE v.target_disease {{slots}} END, v.status = 'completed', v.occurred_on
                    FROM vaccination_events v
                    WHERE v.nhs_number >= '{0}' AND v.nhs_number <= '{1}' AND v.target_disease IN ({{wanted}})
                    ORDER BY v.nhs_number
                    """);
            }
        }

        public override void Dispose() => _transaction.Dispose();

        public override async ValueTask<long> ReadAsync(long from, long to, CountTally tally, List<string> forEngine, CancellationToken cancellationToken)
        {
            var low = from.ToString("D10", CultureInfo.InvariantCulture);
            var high = (to - 1).ToString("D10", CultureInfo.InvariantCulture);
            Imported.Clear();
            _cohortRows.Clear();
            _eventRows.Clear();
            await CopyAsync(_imported, low, high, _addImported, cancellationToken);
            await CopyAsync(_cohorts, low, high, _addCohort, cancellationToken);
            if (_events is not null)
            {
                await CopyAsync(_events, low, high, _addEvent, cancellationToken);
            }

            (_tally, _forEngine, _cohortAt, _eventAt) = (tally, forEngine, 0, 0);
            return await CopyAsync(_people, low, high, _decide, cancellationToken);
        }

        /// <summary>Runs one of the chunk's copies, handing each row to <paramref name="row"/>; returns how many rows it had.</summary>
        private async Task<long> CopyAsync(string copy, string low, string high, Action<CopyRows> row, CancellationToken cancellationToken)
        {
            await using var stream = await _connection.BeginRawBinaryCopyAsync(string.Format(CultureInfo.InvariantCulture, copy, low, high), cancellationToken);
            await _rows.BeginAsync(stream, cancellationToken);
            long rows = 0;
            while (await _rows.NextAsync(cancellationToken))
            {
                row(_rows);
                rows++;
            }

            return rows;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void AddImported(CopyRows rows) => Imported.Add(Nhs(rows.Bytes(0)));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void AddCohort(CopyRows rows) => _cohortRows.Add((Nhs(rows.Bytes(0)), CohortLabels.Get(rows.Bytes(1))));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void AddEvent(CopyRows rows) => _eventRows.Add((Nhs(rows.Bytes(0)), rows.Int32(1), rows.Boolean(2), rows.Date(3)));

        /// <summary>The person in the current row of the people's copy, with their cohorts' and events' rows, decided.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Decide(CopyRows rows)
        {
            var person = Person;
            var nhs = Nhs(rows.Bytes(0));
            Begin(nhs);
            person.DateOfBirth = rows.Date(1);
            person.DateOfDeath = rows.Date(2);
            person.CareHomeResident = rows.Boolean(3);
            if (AllColumns)
            {
                person.ClinicalRiskGroups = rows.Text(4);
                person.Occupations = rows.Text(5);
                person.Sex = rows.Text(6) ?? "";
                person.Postcode = rows.Text(7) ?? "";
                person.GpPracticeCode = rows.Text(8);
                person.IcbOdsCode = rows.Text(9);
                person.RegionOdsCode = rows.Text(10);
                person.LsoaCode = rows.Text(11);
            }

            while (_cohortAt < _cohortRows.Count && _cohortRows[_cohortAt].Nhs < nhs)
            {
                _cohortAt++;
            }

            for (; _cohortAt < _cohortRows.Count && _cohortRows[_cohortAt].Nhs == nhs; _cohortAt++)
            {
                Cohort(_cohortRows[_cohortAt].Label);
            }

            while (_eventAt < _eventRows.Count && _eventRows[_eventAt].Nhs < nhs)
            {
                _eventAt++;
            }

            for (; _eventAt < _eventRows.Count && _eventRows[_eventAt].Nhs == nhs; _eventAt++)
            {
                var (_, target, completed, day) = _eventRows[_eventAt];
                Event(target, completed, day);
            }

            // A NULL reads as no bytes: no risk groups or occupations, as an empty text would.
            End(RiskLabels.Get(rows.Bytes(4)), OccupationLabels.Get(rows.Bytes(5)), _tally!, _forEngine!);
        }

        /// <summary>An NHS number's digits (its text's UTF-8 bytes) as a number: cheaper here than a cast to bigint on the server.</summary>
        private static long Nhs(ReadOnlySpan<byte> text)
        {
            long number = 0;
            foreach (var b in text)
            {
                var digit = b - (byte)'0';
                if ((uint)digit > 9)
                {
                    // The value itself stays out of the message: it is personal data (standards: none in exceptions or logs).
                    throw new InvalidDataException($"A stored NHS number is not all digits ({text.Length} bytes).");
                }

                number = (number * 10) + digit;
            }

            return number;
        }

        private static string CopyOut(string select) => $"COPY ({select}) TO STDOUT (FORMAT BINARY)";

        /// <summary>A register target name as an SQL literal; they are ours, but anything else is refused rather than quoted.</summary>
        private static string Literal(string target) =>
            target.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? $"'{target}'" : throw new ArgumentException($"Unexpected target '{target}'.", nameof(target));
    }
}
