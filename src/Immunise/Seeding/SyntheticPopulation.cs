using System.Globalization;
using Immunise.Geography;
using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;

namespace Immunise.Seeding;

/// <summary>A synthetic person and, when asked for, their vaccination history (oldest first).</summary>
public sealed record SyntheticPerson(long Index, Person Person, IReadOnlyList<VaccinationEvent> Vaccinations);

/// <summary>
/// Synthetic people with England's shape, the same for a seed on every machine: an age pyramid close to ONS mid-year
/// estimates, people spread over the 42 ICBs by population, ethnicity close to the 2021 census, clinical risk groups,
/// care-home residence and occupations at plausible rates by age, and a vaccination history (COVID-19 primary courses in
/// 2021, boosters, seasonal flu) that follows the dose rules and never lies in the future. Person <c>k</c> depends only on
/// the seed and <c>k</c>, so people are generated streaming, in any range, without lists.
/// <para>
/// NHS numbers come from the never-issued 999 range: <c>NhsNumber.FromFirstNine(999_000_000 + k)</c>, skipping values
/// with no check digit. That range holds about 909,000 valid numbers; beyond it (index 1,000,000 and up) numbers
/// continue in the 998 range, which England does not issue either, but which <see cref="NhsNumber.IsSynthetic"/> does not mark.
/// </para>
/// </summary>
public sealed class SyntheticPopulation
{
    private const string Comirnaty = "39115611000001103";
    private const string Vaxzevria = "39114911000001105";
    private const string Spikevax = "39326911000001101";
    private const string ComirnatyBa45 = "41239511000001102";
    private const string ComirnatyXbb = "42020711000001107";
    private const string SpikevaxXbb = "42023311000001102";
    private const string FluCellBased = "43207411000001105";
    private const string FluVaxigrip = "45175511000001104";
    private const string IntramuscularRoute = "78421000";
    private const string LeftUpperArm = "368208006";

    // ONS mid-year estimate shape for England, per cent of the population in each 5-year band (0–4 … 85–89, 90+).
    private static readonly double[] s_ageBands = [5.6, 6.0, 6.1, 5.7, 6.0, 6.6, 6.9, 6.7, 6.3, 6.3, 6.8, 6.6, 5.8, 5.0, 5.0, 3.7, 2.6, 1.1, 0.9];

    // 2021 census shape (NHS ethnic category codes): ~81% White (~74% British), ~9.6% Asian, ~4.2% Black, ~3% Mixed, ~2.2% other, ~3% not stated.
    private static readonly (string Code, double Share)[] s_ethnicities =
    [
        ("A", 71.7), ("B", 0.9), ("C", 6.2), ("D", 0.9), ("E", 0.4), ("F", 0.8), ("G", 0.8), ("H", 3.1), ("J", 2.7), ("K", 1.1),
        ("L", 1.9), ("M", 1.1), ("N", 2.5), ("P", 0.6), ("R", 0.7), ("S", 1.5), ("Z", 3.0),
    ];

    private static readonly double[] s_ageCumulative = Cumulative(s_ageBands);
    private static readonly double[] s_ethnicityCumulative = Cumulative(s_ethnicities.Select(e => e.Share).ToArray());

    private readonly int _seed;
    private readonly DateOnly _today;
    private readonly DateTimeOffset _now;
    private readonly IReadOnlyList<IntegratedCareBoard> _icbs;
    private readonly double[] _icbCumulative;
    private readonly string[][] _postcodes;
    private readonly string[] _towns;

    /// <param name="seed">The same seed gives the same people.</param>
    /// <param name="clock">"Now": no one is born, and nothing happens, after it.</param>
    /// <param name="postcodesByIcb">Postcodes to place people in, by ICB ODS code; ICBs missing here use the synthetic directory.</param>
    public SyntheticPopulation(int seed, TimeProvider clock, IReadOnlyDictionary<string, IReadOnlyList<string>>? postcodesByIcb = null, ReferenceGeography? geography = null)
    {
        _seed = seed;
        _now = clock.GetUtcNow();
        _today = London.Day(_now);
        _icbs = (geography ?? ReferenceGeography.Default).Icbs;
        _icbCumulative = Cumulative(_icbs.Select(i => (double)i.PopulationThousands).ToArray());
        var synthetic = postcodesByIcb is not null && _icbs.All(i => postcodesByIcb.ContainsKey(i.OdsCode))
            ? null
            : SyntheticPostcodeDirectory.Generate(geography: geography).GroupBy(p => p.IcbOdsCode!)
                .ToDictionary(g => g.Key, g => g.Select(p => p.Postcode).ToArray());
        _postcodes = _icbs.Select(i => postcodesByIcb is not null && postcodesByIcb.TryGetValue(i.OdsCode, out var list) && list.Count > 0
            ? list.ToArray()
            : synthetic![i.OdsCode]).ToArray();
        _towns = _icbs.Select(i => i.Name.Replace("NHS ", "", StringComparison.Ordinal).Replace(" Integrated Care Board", "", StringComparison.Ordinal)).ToArray();
    }

    /// <summary>The NHS number of synthetic person <paramref name="index"/>, or null when that index has no valid number.</summary>
    public static NhsNumber? NhsNumberFor(long index) =>
        index < 1_000_000 ? NhsNumber.FromFirstNine(999_000_000 + index) : NhsNumber.FromFirstNine(998_000_000 + (index - 1_000_000));

    /// <summary>The index of a synthetic NHS number (999 or 998 range), or null for any other number.</summary>
    public static long? IndexOf(NhsNumber number)
    {
        var firstNine = long.Parse(number.Value.AsSpan(0, 9), CultureInfo.InvariantCulture);
        return firstNine switch
        {
            >= 999_000_000 => firstNine - 999_000_000,
            >= 998_000_000 => firstNine - 998_000_000 + 1_000_000,
            _ => null,
        };
    }

    /// <summary><paramref name="count"/> people starting at index <paramref name="firstIndex"/> (indexes without a valid NHS number are skipped).</summary>
    public IEnumerable<SyntheticPerson> People(int count, long firstIndex = 0, bool withHistory = true)
    {
        var made = 0;
        for (var index = firstIndex; made < count && index < 2_000_000; index++)
        {
            if (Generate(index, withHistory) is { } person)
            {
                made++;
                yield return person;
            }
        }
    }

    /// <summary>Synthetic person <paramref name="index"/>, or null when the index has no valid NHS number.</summary>
    public SyntheticPerson? Generate(long index, bool withHistory = true)
    {
        if (NhsNumberFor(index) is not { } nhs)
        {
            return null;
        }

        var random = SyntheticRandom.For(_seed, index);
        var band = random.PickWeighted(s_ageCumulative);
        var age = band == 18 ? 90 + Math.Min(random.Next(12), random.Next(12)) : band * 5 + random.Next(5);
        var birth = _today.AddYears(-age).AddDays(-random.Next(365));
        var female = random.Chance(0.51);
        var sex = female ? Sex.Female : Sex.Male;
        var given = random.Pick(female ? SyntheticNames.Female : SyntheticNames.Male);
        var family = random.Pick(SyntheticNames.Family);
        var icbIndex = random.PickWeighted(_icbCumulative);
        var icb = _icbs[icbIndex];
        var postcode = random.Pick(_postcodes[icbIndex]);
        var practices = Math.Clamp(icb.PopulationThousands / 8, 20, 999);
        var practice = $"{"ABCDEFGHJKLMNPY"[icbIndex % 15]}{(10_000 + icbIndex * 1_000 + random.Next(practices)).ToString("D5", CultureInfo.InvariantCulture)}";
        var ethnicity = s_ethnicities[random.PickWeighted(s_ethnicityCumulative)].Code;
        var adult = age >= 18;

        var risks = new List<string>(2);
        void Risk(string code, double chance)
        {
            if (random.Chance(chance))
            {
                risks.Add(code);
            }
        }

        Risk("DIABETES", age >= 65 ? 0.15 : adult ? 0.05 : 0.003);
        Risk("CHRONIC_RESPIRATORY", adult ? 0.06 : 0.03);
        Risk("CHRONIC_HEART", age >= 75 ? 0.20 : age >= 65 ? 0.10 : adult ? 0.02 : 0.003);
        Risk("CHRONIC_KIDNEY", age >= 65 ? 0.06 : adult ? 0.01 : 0.001);
        Risk("CHRONIC_LIVER", adult ? 0.01 : 0.001);
        Risk("CHRONIC_NEUROLOGICAL", age >= 75 ? 0.05 : 0.015);
        Risk("ASPLENIA", 0.003);
        Risk("IMMUNOSUPPRESSION", 0.015);
        Risk("MORBID_OBESITY", adult ? 0.03 : 0);
        Risk("LEARNING_DISABILITY", 0.005);
        Risk("SEVERE_MENTAL_ILLNESS", adult ? 0.01 : 0);
        Risk("PREGNANCY", female && age is >= 16 and <= 44 ? 0.015 : 0);
        Risk("CLINICALLY_EXTREMELY_VULNERABLE", age >= 70 ? 0.06 : adult ? 0.025 : 0.002);

        var careHome = random.Chance(age >= 80 ? 0.035 : age >= 65 ? 0.005 : 0);
        var occupations = new List<string>(1);
        if (age is >= 20 and <= 65)
        {
            var work = random.NextDouble();
            if (work < 0.03)
            {
                occupations.Add("FRONTLINE_HEALTH_WORKER");
            }
            else if (work < 0.055)
            {
                occupations.Add(random.Chance(0.35) ? "CARE_HOME_WORKER" : "FRONTLINE_SOCIAL_CARE_WORKER");
            }
        }

        if (adult && random.Chance(0.08))
        {
            occupations.Add("UNPAID_CARER");
        }

        if (random.Chance(0.01))
        {
            occupations.Add("HOUSEHOLD_CONTACT_IMMUNOSUPPRESSED");
        }

        var mobile = adult && random.Chance(0.85) ? "+447700900" + random.Next(1_000).ToString("D3", CultureInfo.InvariantCulture) : null;
        var email = adult && random.Chance(0.60)
            ? $"{given.ToLowerInvariant()}.{family.ToLowerInvariant().Replace("'", "", StringComparison.Ordinal)}{random.Next(1, 100)}@example.com"
            : null;
        var address = $"{random.Next(1, 200)} {random.Pick(SyntheticNames.Streets)}, {_towns[icbIndex]}";

        DateOnly? death = null;
        if (random.Chance(age >= 75 ? 0.03 : age >= 60 ? 0.006 : 0.001))
        {
            var latest = _today.DayNumber;
            var earliest = Math.Max(birth.DayNumber + 1, latest - 3 * 365);
            death = DateOnly.FromDayNumber(earliest + random.Next(Math.Max(1, latest - earliest)));
        }

        risks.Sort(StringComparer.Ordinal);
        occupations.Sort(StringComparer.Ordinal);
        var person = new Person(nhs, given, family, birth, sex, postcode, practice, ethnicity, careHome, risks, occupations, mobile, email, address, death);
        var history = withHistory ? History(ref random, person, practice) : [];
        return new SyntheticPerson(index, person, history);
    }

    private List<VaccinationEvent> History(ref SyntheticRandom random, Person person, string site)
    {
        var events = new List<VaccinationEvent>(6);
        var lastDay = person.DateOfDeath is { } death && death < _today ? death : _today;
        var covidDose = 0;

        bool Add(ref SyntheticRandom r, string product, string target, DateOnly day, int dose)
        {
            var local = day.ToDateTime(new TimeOnly(8 + r.Next(10), r.Next(60)));
            var at = new DateTimeOffset(local, London.Zone.GetUtcOffset(local));
            if (day > lastDay || at > _now || day < person.DateOfBirth)
            {
                return false;
            }

            events.Add(new VaccinationEvent(
                $"syn-{person.NhsNumber.Value}-{events.Count + 1}", person.NhsNumber, target, product, dose, at.ToUniversalTime(), site,
                $"{(char)('A' + r.Next(26))}{(char)('A' + r.Next(26))}{r.Next(1_000, 10_000)}", day.AddDays(60 + r.Next(120)),
                IntramuscularRoute, LeftUpperArm, null, true, VaccinationStatus.Completed, _now, "seed"));
            return true;
        }

        // COVID-19 primary course, 2021, in JCVI priority order (age on 31 March 2021).
        var age2021 = person.AgeOn(new DateOnly(2021, 3, 31));
        var risk = person.ClinicalRiskGroups.Count > 0 || person.Occupations.Contains("UNPAID_CARER");
        var frontline = person.Occupations.Any(o => o.StartsWith("FRONTLINE", StringComparison.Ordinal) || o == "CARE_HOME_WORKER");
        var (from, days, uptake) = age2021 switch
        {
            >= 80 => (new DateOnly(2021, 1, 4), 35, 0.95),
            _ when person.CareHomeResident || frontline => (new DateOnly(2021, 1, 4), 35, 0.9),
            >= 75 => (new DateOnly(2021, 1, 18), 28, 0.94),
            >= 70 => (new DateOnly(2021, 2, 1), 20, 0.93),
            >= 65 => (new DateOnly(2021, 2, 15), 18, 0.91),
            >= 16 when risk => (new DateOnly(2021, 2, 15), 35, 0.85),
            >= 60 => (new DateOnly(2021, 3, 1), 20, 0.89),
            >= 55 => (new DateOnly(2021, 3, 8), 22, 0.88),
            >= 50 => (new DateOnly(2021, 3, 17), 30, 0.86),
            >= 40 => (new DateOnly(2021, 4, 13), 37, 0.8),
            >= 30 => (new DateOnly(2021, 5, 13), 28, 0.72),
            >= 18 => (new DateOnly(2021, 6, 8), 37, 0.65),
            >= 16 => (new DateOnly(2021, 8, 6), 40, 0.55),
            _ => (default(DateOnly), 0, 0.0),
        };
        if (days > 0 && random.Chance(uptake))
        {
            var first = from.AddDays(random.Next(days));
            var product = ProductFor(ref random, age2021, first);
            if (Add(ref random, product, "COVID19", first, ++covidDose))
            {
                // Second doses 8 to 12 weeks later, same product.
                var second = first.AddDays(56 + random.Next(29));
                if (random.Chance(0.93) && Add(ref random, product, "COVID19", second, ++covidDose))
                {
                    var previous = second;

                    // Boosters: the 2021/22 booster (more often for over-50s), then autumn 2022 (50+) and autumn 2023 (65+).
                    var age2022 = person.AgeOn(new DateOnly(2022, 8, 31));
                    if (random.Chance(age2021 >= 50 ? 0.88 : 0.6))
                    {
                        var opens = age2021 >= 50 ? new DateOnly(2021, 9, 16) : new DateOnly(2021, 12, 13);
                        var booster = Later(previous.AddDays(91), opens).AddDays(random.Next(60));
                        if (Add(ref random, random.Chance(0.6) ? Comirnaty : Spikevax, "COVID19", booster, ++covidDose))
                        {
                            previous = booster;
                            if (age2022 >= 50 && random.Chance(0.7))
                            {
                                var autumn = Later(previous.AddDays(91), new DateOnly(2022, 9, 5)).AddDays(random.Next(70));
                                if (Add(ref random, ComirnatyBa45, "COVID19", autumn, ++covidDose))
                                {
                                    previous = autumn;
                                    if (person.AgeOn(new DateOnly(2024, 3, 31)) >= 65 && random.Chance(0.65))
                                    {
                                        var autumn23 = Later(previous.AddDays(91), new DateOnly(2023, 9, 11)).AddDays(random.Next(70));
                                        Add(ref random, random.Chance(0.7) ? ComirnatyXbb : SpikevaxXbb, "COVID19", autumn23, ++covidDose);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        // Seasonal flu: most over-65s and many at-risk adults, each season from 2022/23 that has started.
        for (var year = 2022; year <= _today.Year; year++)
        {
            var seasonStart = new DateOnly(year, 9, 1);
            var ageThen = person.AgeOn(new DateOnly(year + 1, 3, 31));
            var chance = ageThen >= 65 ? 0.75 : ageThen >= 18 && person.ClinicalRiskGroups.Count > 0 ? 0.45 : 0;
            if (seasonStart <= _today && random.Chance(chance))
            {
                var day = seasonStart.AddDays(14 + random.Next(90));
                Add(ref random, ageThen >= 65 ? FluCellBased : FluVaxigrip, "FLU", day, 1);
            }
        }

        events.Sort((a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
        return events;
    }

    private static string ProductFor(ref SyntheticRandom random, int age, DateOnly day)
    {
        // AstraZeneca was not offered to under-30s from 7 April 2021, nor to under-40s from 7 May 2021; Moderna from April 2021, 18+.
        var noAstraZeneca = (age < 30 && day >= new DateOnly(2021, 4, 7)) || (age < 40 && day >= new DateOnly(2021, 5, 7));
        if (age < 18)
        {
            return Comirnaty;
        }

        var x = random.NextDouble();
        return noAstraZeneca
            ? (x < 0.75 ? Comirnaty : Spikevax)
            : x < 0.45 ? Comirnaty : x < 0.95 || day < new DateOnly(2021, 4, 7) ? Vaxzevria : Spikevax;
    }

    private static DateOnly Later(DateOnly a, DateOnly b) => a > b ? a : b;

    private static double[] Cumulative(double[] weights)
    {
        var result = new double[weights.Length];
        var total = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            total += weights[i];
            result[i] = total;
        }

        return result;
    }
}
