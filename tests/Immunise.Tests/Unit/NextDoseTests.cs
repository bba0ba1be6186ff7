using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;

namespace Immunise.Tests.Unit;

public sealed class NextDoseTests
{
    private static readonly VaccineCatalogue s_catalogue = VaccineCatalogue.Default;
    private static readonly NhsNumber s_nhs = NhsNumber.Parse("9990000018");
    private static readonly DateOnly s_adult = new(1960, 5, 15);
    private const string Comirnaty = "39115611000001103";
    private const string Vaxzevria = "39114911000001105";
    private const string Spikevax = "39326911000001101";
    private const string ComirnatyChildren = "40384611000001108";
    private const string ComirnatyXbb = "42020711000001107";
    private const string FluCellBased = "43207411000001105";
    private const string Fluenz = "43208811000001106";
    private const string FluViatris = "45354911000001100";
    private const string Abrysvo = "42605811000001109";

    [Fact]
    public void For_NoCovidDoseYet_IsPrimaryDoseOneWithAnyAdultProduct()
    {
        var outcome = Covid(s_adult, [], D(2021, 1, 4));

        Assert.Equal(NextDoseStatus.Due, outcome.Status);
        var dose = outcome.Dose!;
        Assert.Equal((1, DoseKind.Primary), (dose.Number, dose.Kind));
        Assert.Contains(dose.Products, p => p.Code == Comirnaty);
        Assert.Contains(dose.Products, p => p.Code == Vaxzevria);
        Assert.DoesNotContain(dose.Products, p => p.Code == ComirnatyChildren); // 5 to 11 only
        Assert.True(dose.Window.Contains(D(2021, 1, 4)));
        Assert.Null(dose.Window.Latest);
    }

    [Fact]
    public void For_AfterComirnatyDoseOne_SameProductFrom21DaysLicensedAnd8WeeksRecommended()
    {
        var outcome = Covid(s_adult, [Event(Comirnaty, D(2021, 1, 10))], D(2021, 1, 20));

        var dose = outcome.Dose!;
        Assert.Equal(NextDoseStatus.Due, outcome.Status);
        Assert.Equal((2, DoseKind.Primary), (dose.Number, dose.Kind));
        Assert.Equal([Comirnaty], dose.Products.Select(p => p.Code));
        Assert.Equal(new DoseWindow(D(2021, 1, 31), D(2021, 3, 7), null), dose.Window);
        Assert.False(dose.Window.Contains(D(2021, 1, 30)));
        Assert.True(dose.Window.Contains(D(2021, 1, 31)));
        Assert.Equal(D(2021, 1, 10), outcome.LastDoseOn);
    }

    [Fact]
    public void For_AfterVaxzevriaDoseOne_WindowIsFourToTwelveWeeks()
    {
        var outcome = Covid(s_adult, [Event(Vaxzevria, D(2021, 2, 1))], D(2021, 2, 2));

        var dose = outcome.Dose!;
        Assert.Equal([Vaxzevria], dose.Products.Select(p => p.Code));
        Assert.Equal(new DoseWindow(D(2021, 3, 1), D(2021, 3, 29), D(2021, 4, 26)), dose.Window);
        Assert.False(dose.Window.Contains(D(2021, 4, 27)));
        Assert.True(dose.Window.Contains(D(2021, 4, 26)));
    }

    [Fact]
    public void For_AfterSpikevaxDoseOne_EarliestIs28DaysLater()
    {
        var outcome = Covid(s_adult, [Event(Spikevax, D(2021, 4, 13))], D(2021, 4, 14));

        Assert.Equal([Spikevax], outcome.Dose!.Products.Select(p => p.Code));
        Assert.Equal(D(2021, 5, 11), outcome.Dose.Window.Earliest);
        Assert.Equal(D(2021, 6, 8), outcome.Dose.Window.Recommended);
    }

    [Fact]
    public void For_DoseGivenLateEveningUtcInSummer_CountsFromTheLondonDay()
    {
        // 23:30 UTC on 30 June is 00:30 BST on 1 July: the interval runs from 1 July.
        var late = new DateTimeOffset(2021, 6, 30, 23, 30, 0, TimeSpan.Zero);

        var outcome = Covid(s_adult, [Event(Comirnaty, late)], D(2021, 7, 2));

        Assert.Equal(D(2021, 7, 1), outcome.LastDoseOn);
        Assert.Equal(D(2021, 7, 22), outcome.Dose!.Window.Earliest);
    }

    [Fact]
    public void For_PrimaryCourseComplete_BoosterFrom91DaysAfterLastDoseWithAnyProduct()
    {
        var history = new[] { Event(Vaxzevria, D(2021, 2, 1)), Event(Vaxzevria, D(2021, 4, 26)) };

        var outcome = Covid(s_adult, history, D(2021, 11, 1));

        var dose = outcome.Dose!;
        Assert.Equal((3, DoseKind.Booster), (dose.Number, dose.Kind));
        Assert.Equal(D(2021, 7, 26), dose.Window.Earliest); // 26 April + 91 days
        Assert.Equal(D(2021, 10, 25), dose.Window.Recommended); // around 6 months
        Assert.Null(dose.Window.Latest);
        Assert.Contains(dose.Products, p => p.Code == Comirnaty);
        Assert.Contains(dose.Products, p => p.Code == Spikevax);
    }

    [Fact]
    public void For_AfterBooster_NextIsSeasonal91DaysAfterLastDose()
    {
        var history = new[] { Event(Comirnaty, D(2021, 1, 10)), Event(Comirnaty, D(2021, 3, 7)), Event(Spikevax, D(2021, 12, 1)) };

        var outcome = Covid(s_adult, history, D(2022, 1, 15));

        Assert.Equal((4, DoseKind.Seasonal), (outcome.Dose!.Number, outcome.Dose.Kind));
        Assert.Equal(D(2022, 3, 2), outcome.Dose.Window.Earliest);
    }

    [Fact]
    public void For_SingleDoseCourseProduct_NextIsBooster()
    {
        var outcome = Covid(s_adult, [Event(ComirnatyXbb, D(2025, 10, 1))], D(2025, 11, 1));

        Assert.Equal((2, DoseKind.Booster), (outcome.Dose!.Number, outcome.Dose.Kind));
        Assert.Equal(D(2025, 12, 31), outcome.Dose.Window.Earliest);
    }

    [Fact]
    public void For_EnteredInErrorDose_IsIgnored()
    {
        var wrong = Event(Comirnaty, D(2021, 1, 10)) with { Status = VaccinationStatus.EnteredInError };

        var outcome = Covid(s_adult, [wrong], D(2021, 1, 20));

        Assert.Equal(1, outcome.Dose!.Number);
    }

    [Fact]
    public void For_Aged17_OnlyProductsLicensedFor12AndOver()
    {
        var outcome = Covid(new DateOnly(2004, 3, 1), [], D(2021, 8, 1));

        var codes = outcome.Dose!.Products.Select(p => p.Code).ToList();
        Assert.Contains(Comirnaty, codes);
        Assert.DoesNotContain(Vaxzevria, codes);
        Assert.DoesNotContain(Spikevax, codes);
    }

    [Fact]
    public void For_Aged11_OnlyTheChildrensProduct()
    {
        var outcome = Covid(new DateOnly(2011, 6, 1), [], D(2022, 6, 1));

        Assert.Equal([ComirnatyChildren], outcome.Dose!.Products.Select(p => p.Code));
    }

    [Fact]
    public void For_Aged4_TooYoungForEveryCovidProduct_UntilTheirFifthBirthday()
    {
        var outcome = Covid(new DateOnly(2018, 9, 10), [], D(2023, 1, 1));

        Assert.Equal(NextDoseStatus.TooYoung, outcome.Status);
        Assert.Equal(D(2023, 9, 10), outcome.Dose!.Window.Earliest);
        Assert.Equal([ComirnatyChildren], outcome.Dose.Products.Select(p => p.Code));
    }

    [Fact]
    public void For_ChildrensDoseOneThenTurned12_FinishesWithAnAdultLicensedProduct()
    {
        var child = new DateOnly(2010, 1, 20);

        var outcome = Covid(child, [Event(ComirnatyChildren, D(2021, 12, 20))], D(2022, 2, 14));

        Assert.Equal(NextDoseStatus.Due, outcome.Status);
        Assert.Equal(2, outcome.Dose!.Number);
        Assert.Contains(outcome.Dose.Products, p => p.Code == Comirnaty);
        Assert.DoesNotContain(outcome.Dose.Products, p => p.Code == ComirnatyChildren);
        Assert.Equal(D(2022, 2, 14), outcome.Dose.Window.Earliest); // 56 days after dose 1
    }

    [Fact]
    public void For_NoFluDoseThisSeason_OneSeasonalDoseBetweenSeptemberAndAugust()
    {
        var outcome = Flu(s_adult, [Event(FluCellBased, D(2025, 10, 20))], D(2026, 11, 20));

        var dose = outcome.Dose!;
        Assert.Equal((1, DoseKind.Seasonal), (dose.Number, dose.Kind));
        Assert.Equal(new DoseWindow(D(2026, 9, 1), D(2026, 9, 1), D(2027, 8, 31)), dose.Window);
        Assert.True(dose.Window.Contains(D(2026, 11, 20)));
    }

    [Fact]
    public void For_FluDoseAlreadyThisSeason_NextIsDoseOneOfNextSeason()
    {
        var outcome = Flu(s_adult, [Event(FluCellBased, D(2026, 10, 5))], D(2026, 11, 20));

        Assert.Equal(NextDoseStatus.Due, outcome.Status);
        Assert.Equal(1, outcome.Dose!.Number);
        Assert.Equal(new DoseWindow(D(2027, 9, 1), D(2027, 9, 1), D(2028, 8, 31)), outcome.Dose.Window);
        Assert.False(outcome.Dose.Window.Contains(D(2026, 11, 20)));
    }

    [Fact]
    public void For_FluAgeLimits_NasalFor2To17_ViatrisFrom3()
    {
        var two = Flu(new DateOnly(2024, 6, 1), [], D(2026, 10, 1)).Dose!.Products.Select(p => p.Code).ToList();
        var adult = Flu(new DateOnly(2008, 6, 1), [], D(2026, 10, 1)).Dose!.Products.Select(p => p.Code).ToList();

        Assert.Contains(Fluenz, two);
        Assert.DoesNotContain(FluViatris, two);
        Assert.DoesNotContain(Fluenz, adult); // 18 on 1 June 2026: past the nasal vaccine's maximum age
        Assert.Contains(FluViatris, adult);
    }

    [Fact]
    public void For_Flu5MonthsOld_TooYoungUntilSixMonths()
    {
        var outcome = Flu(new DateOnly(2026, 6, 15), [], D(2026, 11, 20));

        Assert.Equal(NextDoseStatus.TooYoung, outcome.Status);
        Assert.Equal(D(2026, 12, 15), outcome.Dose!.Window.Earliest);
    }

    [Fact]
    public void For_RsvAfterItsOneDose_CourseComplete()
    {
        var rsv = s_catalogue.FindDisease("RSV")!;

        var none = NextDose.For(new DateOnly(1950, 1, 1), rsv, [], s_catalogue, D(2026, 11, 20));
        var done = NextDose.For(new DateOnly(1950, 1, 1), rsv, [Event(Abrysvo, D(2025, 9, 1))], s_catalogue, D(2026, 11, 20));

        Assert.Equal([Abrysvo], none.Dose!.Products.Select(p => p.Code));
        Assert.Equal(NextDoseStatus.CourseComplete, done.Status);
        Assert.Null(done.Dose);
        Assert.Equal(D(2025, 9, 1), done.LastDoseOn);
    }

    [Fact]
    public void For_RsvUnder18_TooYoungUntil18()
    {
        var outcome = NextDose.For(new DateOnly(2010, 3, 31), s_catalogue.FindDisease("RSV")!, [], s_catalogue, D(2026, 11, 20));

        Assert.Equal(NextDoseStatus.TooYoung, outcome.Status);
        Assert.Equal(D(2028, 3, 31), outcome.Dose!.Window.Earliest);
    }

    [Fact]
    public void Catalogue_DoseRules_AreData()
    {
        var comirnaty = s_catalogue.FindProduct(Comirnaty)!;
        var vaxzevria = s_catalogue.FindProduct(Vaxzevria)!;

        Assert.Equal((21, 56, (int?)null, (int?)91), (comirnaty.MinimumIntervalDays, comirnaty.ProgrammeIntervalDays, comirnaty.MaximumIntervalDays, comirnaty.BoosterIntervalDays));
        Assert.Equal((28, 56, (int?)84), (vaxzevria.MinimumIntervalDays, vaxzevria.ProgrammeIntervalDays, vaxzevria.MaximumIntervalDays));
        Assert.Equal(143, s_catalogue.FindProduct(ComirnatyChildren)!.MaximumAgeMonths);
        Assert.Equal(new FurtherDosePolicy(DoseKind.Booster, DoseKind.Seasonal, 182), s_catalogue.FindDisease("COVID19")!.FurtherDoses);
        Assert.Null(s_catalogue.FindDisease("RSV")!.FurtherDoses);
    }

    private static NextDoseOutcome Covid(DateOnly dateOfBirth, IReadOnlyList<VaccinationEvent> history, DateOnly day) =>
        NextDose.For(dateOfBirth, s_catalogue.FindDisease("COVID19")!, history, s_catalogue, day);

    private static NextDoseOutcome Flu(DateOnly dateOfBirth, IReadOnlyList<VaccinationEvent> history, DateOnly day) =>
        NextDose.For(dateOfBirth, s_catalogue.FindDisease("FLU")!, history, s_catalogue, day);

    private static DateOnly D(int y, int m, int d) => new(y, m, d);

    private static VaccinationEvent Event(string product, DateOnly day) => Event(product, new DateTimeOffset(day.ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero));

    private static VaccinationEvent Event(string product, DateTimeOffset at) => new(
        Guid.NewGuid().ToString(), s_nhs, s_catalogue.DiseaseOf(s_catalogue.FindProduct(product)!).Target, product, 0, at, "B87008",
        null, null, null, null, null, true, VaccinationStatus.Completed, at, "test");
}
