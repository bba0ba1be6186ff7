using System.Data;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Immunise.Eligibility;

internal sealed partial class RegisterScan
{
    /// <summary>
    /// Reads chunks from PostgreSQL as binary <c>COPY … TO STDOUT</c>: the chunk's cohorts and events first (kept in lists
    /// reused from chunk to chunk), then its people streamed and merged with them. Dates come as <c>date</c>; NHS numbers as
    /// their text, parsed here (a cast to <c>bigint</c> in every row cost the server more than the parse costs us).
    /// <c>COPY</c> takes no parameters: the bounds are digits and the targets the register's own names, written into the
    /// statement; a region or ICB goes in as a transaction setting.
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

        public PostgresChunks(NpgsqlConnection connection, CountPlan plan, string? region, string? icb)
            : base(plan)
        {
            _connection = connection;

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
            _people = Copy(
                $$"""
                SELECT p.nhs_number, p.date_of_birth, p.date_of_death, p.care_home_resident, p.clinical_risk_groups, p.occupations{{columns}}
                FROM people p{{join}}
                WHERE p.nhs_number >= '{0}' AND p.nhs_number <= '{1}'{{filter}}
                ORDER BY p.nhs_number
                """);
            _cohorts = Copy("SELECT c.nhs_number, c.cohort_label FROM person_cohorts c WHERE c.nhs_number >= '{0}' AND c.nhs_number <= '{1}' ORDER BY c.nhs_number");
            _imported = Copy("SELECT DISTINCT a.nhs_number FROM person_attributes a WHERE a.nhs_number >= '{0}' AND a.nhs_number <= '{1}'");
            if (plan.Targets.Count > 0)
            {
                var slots = string.Join(" ", plan.Targets.Select((t, i) => $"WHEN {Literal(t)} THEN {i}"));
                var wanted = string.Join(", ", plan.Targets.Select(Literal));
                _events = Copy(
                    $$"""
                    SELECT v.nhs_number, CASE v.target_disease {{slots}} END, v.status = 'completed', v.occurred_on
                    FROM vaccination_events v
                    WHERE v.nhs_number >= '{0}' AND v.nhs_number <= '{1}' AND v.target_disease IN ({{wanted}})
                    ORDER BY v.nhs_number
                    """);
            }
        }

        public override void Dispose() => _transaction.Dispose();

        public override long Read(long from, long to, CountTally tally, List<string> forEngine)
        {
            var low = from.ToString("D10", CultureInfo.InvariantCulture);
            var high = (to - 1).ToString("D10", CultureInfo.InvariantCulture);
            Imported.Clear();
            using (var rows = Export(_imported, low, high))
            {
                while (rows.StartRow() != -1)
                {
                    Imported.Add(Nhs(rows));
                }
            }

            _cohortRows.Clear();
            using (var rows = Export(_cohorts, low, high))
            {
                while (rows.StartRow() != -1)
                {
                    _cohortRows.Add((Nhs(rows), CohortLabels.Get(rows.Read<string>(NpgsqlDbType.Text))));
                }
            }

            _eventRows.Clear();
            if (_events is not null)
            {
                using var rows = Export(_events, low, high);
                while (rows.StartRow() != -1)
                {
                    _eventRows.Add((Nhs(rows), rows.Read<int>(NpgsqlDbType.Integer), rows.Read<bool>(NpgsqlDbType.Boolean), Day(rows)));
                }
            }

            long read = 0;
            int cohort = 0, dose = 0;
            var person = Person;
            using var people = Export(_people, low, high);
            while (people.StartRow() != -1)
            {
                read++;
                var nhs = Nhs(people);
                Begin(nhs);
                person.DateOfBirth = Day(people);
                person.DateOfDeath = Day(people);
                person.CareHomeResident = people.Read<bool>(NpgsqlDbType.Boolean);
                var risks = Text(people);
                var occupations = Text(people);
                if (AllColumns)
                {
                    person.ClinicalRiskGroups = risks;
                    person.Occupations = occupations;
                    person.Sex = Text(people) ?? "";
                    person.Postcode = Text(people) ?? "";
                    person.GpPracticeCode = Text(people);
                    person.IcbOdsCode = Text(people);
                    person.RegionOdsCode = Text(people);
                    person.LsoaCode = Text(people);
                }

                while (cohort < _cohortRows.Count && _cohortRows[cohort].Nhs < nhs)
                {
                    cohort++;
                }

                for (; cohort < _cohortRows.Count && _cohortRows[cohort].Nhs == nhs; cohort++)
                {
                    Cohort(_cohortRows[cohort].Label);
                }

                while (dose < _eventRows.Count && _eventRows[dose].Nhs < nhs)
                {
                    dose++;
                }

                for (; dose < _eventRows.Count && _eventRows[dose].Nhs == nhs; dose++)
                {
                    var (_, target, completed, day) = _eventRows[dose];
                    Event(target, completed, day);
                }

                End(risks is null ? null : RiskLabels.Get(risks), occupations is null ? null : OccupationLabels.Get(occupations), tally, forEngine);
            }

            return read;
        }

        /// <summary>An NHS number's digits as a number (cheaper here than a cast to bigint in every row on the server).</summary>
        private static long Nhs(NpgsqlBinaryExporter rows)
        {
            long number = 0;
            foreach (var c in rows.Read<string>(NpgsqlDbType.Text))
            {
                var digit = c - '0';
                if ((uint)digit > 9)
                {
                    throw new InvalidDataException("A stored NHS number is not all digits.");
                }

                number = (number * 10) + digit;
            }

            return number;
        }

        /// <summary>A date column as <c>yyyymmdd</c>, 0 when null.</summary>
        private static int Day(NpgsqlBinaryExporter rows)
        {
            if (rows.IsNull)
            {
                rows.Skip();
                return 0;
            }

            return CountPlan.ToNumber(rows.Read<DateOnly>(NpgsqlDbType.Date));
        }

        private static string? Text(NpgsqlBinaryExporter rows)
        {
            if (rows.IsNull)
            {
                rows.Skip();
                return null;
            }

            return rows.Read<string>(NpgsqlDbType.Text);
        }

        private NpgsqlBinaryExporter Export(string copy, string low, string high) =>
            _connection.BeginBinaryExport(string.Format(CultureInfo.InvariantCulture, copy, low, high));

        private static string Copy(string select) => $"COPY ({select}) TO STDOUT (FORMAT BINARY)";

        /// <summary>A register target name as an SQL literal; they are ours, but anything else is refused rather than quoted.</summary>
        private static string Literal(string target) =>
            target.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? $"'{target}'" : throw new ArgumentException($"Unexpected target '{target}'.", nameof(target));
    }
}
