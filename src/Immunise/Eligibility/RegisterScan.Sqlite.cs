using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Immunise.Storage;
using SQLitePCL;

namespace Immunise.Eligibility;

internal sealed partial class RegisterScan
{
    /// <summary>
    /// Reads chunks from SQLite through SQLitePCL's raw API: the three statements are prepared
    /// once and stepped side by side, people in NHS-number order with their cohorts' and events' rows merged in as the
    /// statements go. A person makes no string: NHS numbers come as integers, dates as their UTF-8 digits (parsed here, cheaper
    /// than SQLite's <c>replace</c>), texts as bytes looked up in <see cref="TextMemo{T}"/>. Through <see cref="SqliteDataReader"/>
    /// the same rows cost about twice as much: a reader and its per-column checks for every row, a string for every text.
    /// Each worker opens a read-only handle of its own on the file, without SQLite's per-call mutex (no other thread uses
    /// it), which every column read would otherwise take and release. Memory-mapping the file (<c>PRAGMA mmap_size</c>)
    /// was tried and made no measurable difference.
    /// </summary>
    private sealed class SqliteChunks : ChunkReader
    {
        private readonly sqlite3 _db;
        private readonly sqlite3? _own;
        private readonly sqlite3_stmt _people;
        private readonly sqlite3_stmt _cohorts;
        private readonly sqlite3_stmt _imported;
        private readonly sqlite3_stmt? _events;
        private readonly sqlite3_stmt _begin;
        private readonly sqlite3_stmt _commit;
        private readonly List<sqlite3_stmt> _prepared = [];

        public SqliteChunks(SqliteConnection connection, CountPlan plan, string? region, string? icb)
            : base(plan)
        {
            var shared = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
            _db = shared;
            try
            {
                // A database in a file gets a handle of the scan's own; one in memory (no file name) is read on the pool's.
                var file = raw.sqlite3_db_filename(shared, "main").utf8_to_string();
                if (!string.IsNullOrEmpty(file))
                {
                    var rc = raw.sqlite3_open_v2(file, out var own, raw.SQLITE_OPEN_READONLY | raw.SQLITE_OPEN_NOMUTEX, null);
                    _own = own;
                    if (rc != raw.SQLITE_OK)
                    {
                        throw SqliteRaw.Failure(own, rc);
                    }

                    raw.sqlite3_busy_timeout(own, 30_000);
                    _db = own;
                }

                (_people, _cohorts, _imported, _events) = PrepareAll(plan, region, icb);
                _begin = Prepare("BEGIN");
                _commit = Prepare("COMMIT");
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public override void Dispose()
        {
            // Statements on the pool's handle must not outlive this reader (the connection goes back to the pool open).
            foreach (var statement in _prepared)
            {
                raw.sqlite3_finalize(statement);
            }

            _prepared.Clear();
            _own?.Dispose();
        }

        private (sqlite3_stmt People, sqlite3_stmt Cohorts, sqlite3_stmt Imported, sqlite3_stmt? Events) PrepareAll(CountPlan plan, string? region, string? icb)
        {
            // ?1 and ?2 are the chunk's first and last NHS numbers in every statement.
            var joined = AllColumns || region is not null || icb is not null;
            var columns = AllColumns ? ", p.sex, p.postcode, p.gp_practice_code, pc.icb_ods_code, pc.region_ods_code, pc.lsoa_code" : "";
            var join = joined ? " LEFT JOIN postcodes pc ON pc.postcode = p.postcode" : "";
            var filter = (region is null ? "" : " AND pc.region_ods_code = ?3") + (icb is null ? "" : " AND pc.icb_ods_code = ?4");
            var people = Prepare(
                $"""
                SELECT CAST(p.nhs_number AS INTEGER), p.date_of_birth, p.date_of_death, p.care_home_resident, p.clinical_risk_groups, p.occupations{columns}
                FROM people p{join}
                WHERE p.nhs_number >= ?1 AND p.nhs_number <= ?2{filter}
                ORDER BY p.nhs_number
                """);
            if (region is not null)
            {
                raw.sqlite3_bind_text(people, 3, region);
            }

            if (icb is not null)
            {
                raw.sqlite3_bind_text(people, 4, icb);
            }

            var cohorts = Prepare("SELECT CAST(nhs_number AS INTEGER), cohort_label FROM person_cohorts WHERE nhs_number >= ?1 AND nhs_number <= ?2 ORDER BY nhs_number");
            var imported = Prepare("SELECT DISTINCT CAST(nhs_number AS INTEGER) FROM person_attributes WHERE nhs_number >= ?1 AND nhs_number <= ?2");
            if (plan.Targets.Count == 0)
            {
                return (people, cohorts, imported, null);
            }

            // Target i is bound to ?(i + 3); the slot and whether the event completed come as one number (slot × 2 + completed).
            var slots = string.Join(" ", plan.Targets.Select((_, i) => $"WHEN ?{i + 3} THEN {i}"));
            var wanted = string.Join(", ", plan.Targets.Select((_, i) => $"?{i + 3}"));
            var events = Prepare(
                $"""
                SELECT CAST(nhs_number AS INTEGER), (CASE target_disease {slots} END) * 2 + (status = 'completed'), occurred_on
                FROM vaccination_events
                WHERE nhs_number >= ?1 AND nhs_number <= ?2 AND target_disease IN ({wanted})
                ORDER BY nhs_number
                """);
            for (var i = 0; i < plan.Targets.Count; i++)
            {
                raw.sqlite3_bind_text(events, i + 3, plan.Targets[i]);
            }

            return (people, cohorts, imported, events);
        }

        /// <summary>SQLite's reads are synchronous (its pages come from the file through the page cache).</summary>
        public override ValueTask<long> ReadAsync(long from, long to, CountTally tally, List<string> forEngine, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Read(from, to, tally, forEngine));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private long Read(long from, long to, CountTally tally, List<string> forEngine)
        {
            var low = from.ToString("D10", CultureInfo.InvariantCulture);
            var high = (to - 1).ToString("D10", CultureInfo.InvariantCulture);

            // One read transaction a chunk: its people, cohorts, events and imported rows are one snapshot.
            Run(_begin);
            try
            {
                // Each side's current row is its NHS number, or long.MaxValue once it has run out.
                Start(_cohorts, low, high);
                var cohortAt = Step(_cohorts) ? raw.sqlite3_column_int64(_cohorts, 0) : long.MaxValue;
                var eventAt = long.MaxValue;
                if (_events is not null)
                {
                    Start(_events, low, high);
                    eventAt = Step(_events) ? raw.sqlite3_column_int64(_events, 0) : long.MaxValue;
                }

                Imported.Clear();
                Start(_imported, low, high);
                while (Step(_imported))
                {
                    Imported.Add(raw.sqlite3_column_int64(_imported, 0));
                }

                Start(_people, low, high);
                long read = 0;
                var person = Person;
                while (Step(_people))
                {
                    read++;
                    var nhs = raw.sqlite3_column_int64(_people, 0);
                    Begin(nhs);

                    // A NULL reads as no bytes: no date of death (0), no risk groups or occupations, as an empty text would.
                    person.DateOfBirth = DateNumber(raw.sqlite3_column_blob(_people, 1));
                    person.DateOfDeath = DateNumber(raw.sqlite3_column_blob(_people, 2));
                    person.CareHomeResident = raw.sqlite3_column_int64(_people, 3) != 0;
                    var risks = RiskLabels.Get(raw.sqlite3_column_blob(_people, 4));
                    var occupations = OccupationLabels.Get(raw.sqlite3_column_blob(_people, 5));
                    if (AllColumns)
                    {
                        person.ClinicalRiskGroups = Text(_people, 4);
                        person.Occupations = Text(_people, 5);
                        person.Sex = Text(_people, 6) ?? "";
                        person.Postcode = Text(_people, 7) ?? "";
                        person.GpPracticeCode = Text(_people, 8);
                        person.IcbOdsCode = Text(_people, 9);
                        person.RegionOdsCode = Text(_people, 10);
                        person.LsoaCode = Text(_people, 11);
                    }

                    while (cohortAt < nhs)
                    {
                        cohortAt = Step(_cohorts) ? raw.sqlite3_column_int64(_cohorts, 0) : long.MaxValue;
                    }

                    while (cohortAt == nhs)
                    {
                        Cohort(CohortLabels.Get(raw.sqlite3_column_blob(_cohorts, 1)));
                        cohortAt = Step(_cohorts) ? raw.sqlite3_column_int64(_cohorts, 0) : long.MaxValue;
                    }

                    while (eventAt < nhs)
                    {
                        eventAt = Step(_events!) ? raw.sqlite3_column_int64(_events, 0) : long.MaxValue;
                    }

                    while (eventAt == nhs)
                    {
                        var slot = raw.sqlite3_column_int(_events, 1);
                        Event(slot >> 1, (slot & 1) != 0, DateNumber(raw.sqlite3_column_blob(_events, 2)));
                        eventAt = Step(_events!) ? raw.sqlite3_column_int64(_events, 0) : long.MaxValue;
                    }

                    End(risks, occupations, tally, forEngine);
                }

                return read;
            }
            finally
            {
                raw.sqlite3_reset(_people);
                raw.sqlite3_reset(_cohorts);
                raw.sqlite3_reset(_imported);
                if (_events is not null)
                {
                    raw.sqlite3_reset(_events);
                }

                Run(_commit);
            }
        }

        /// <summary>
        /// A stored date (<c>yyyy-MM-dd</c>) as the number <c>yyyymmdd</c>: its digits with the dashes left out, up to the first
        /// other character, as <c>CAST(replace(date, '-', '') AS INTEGER)</c> reads it.
        /// </summary>
        private static int DateNumber(ReadOnlySpan<byte> text)
        {
            var number = 0;
            var digits = 0;
            foreach (var b in text)
            {
                var digit = b - (byte)'0';
                if ((uint)digit <= 9 && digits < 9)
                {
                    number = (number * 10) + digit;
                    digits++;
                }
                else if (b != (byte)'-')
                {
                    break;
                }
            }

            return number;
        }

        private static string? Text(sqlite3_stmt statement, int column) =>
            raw.sqlite3_column_type(statement, column) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(statement, column).utf8_to_string();

        private void Run(sqlite3_stmt statement)
        {
            raw.sqlite3_reset(statement);
            Step(statement);
        }

        private static void Start(sqlite3_stmt statement, string low, string high)
        {
            raw.sqlite3_reset(statement);
            raw.sqlite3_bind_text(statement, 1, low);
            raw.sqlite3_bind_text(statement, 2, high);
        }

        private bool Step(sqlite3_stmt statement)
        {
            var rc = raw.sqlite3_step(statement);
            if (rc == raw.SQLITE_ROW)
            {
                return true;
            }

            if (rc == raw.SQLITE_DONE)
            {
                return false;
            }

            throw SqliteRaw.Failure(_db, rc);
        }

        private sqlite3_stmt Prepare(string sql)
        {
            var statement = SqliteRaw.Prepare(_db, sql);
            _prepared.Add(statement);
            return statement;
        }
    }
}
