using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;

namespace Immunise.Tests.Unit;

public sealed class DoseRulesTests
{
    private static readonly VaccineCatalogue s_catalogue = VaccineCatalogue.Default;
    private static readonly NhsNumber s_nhs = NhsNumber.Parse("9990000018");
    private const string Comirnaty = "39115611000001103";
    private const string Vaxzevria = "39114911000001105";
    private const string FluCellBased = "43207411000001105";

    [Fact]
    public void Check_FirstEverDose_IsDoseOne()
    {
        var result = Check(Draft(Comirnaty, Day(2021, 1, 10)), []);

        Assert.Equal(1, result.Value);
    }

    [Fact]
    public void Check_VaxzevriaSecondDoseAfter27Days_IsTooSoon()
    {
        var history = new[] { Event(Vaxzevria, Day(2021, 2, 1), 1) };

        var result = Check(Draft(Vaxzevria, Day(2021, 2, 28), 2), history);

        Assert.Equal("dose-too-soon", result.Failure?.Code);
    }

    [Fact]
    public void Check_VaxzevriaSecondDoseAfter28Days_IsAccepted()
    {
        var history = new[] { Event(Vaxzevria, Day(2021, 2, 1), 1) };

        var result = Check(Draft(Vaxzevria, Day(2021, 3, 1), 2), history);

        Assert.Equal(2, result.Value);
    }

    [Fact]
    public void Check_DoseTwoWithoutDoseOne_IsOutOfSequence()
    {
        var result = Check(Draft(Comirnaty, Day(2021, 3, 1), 2), []);

        Assert.Equal("dose-out-of-sequence", result.Failure?.Code);
    }

    [Fact]
    public void Check_DoseAlreadyRecorded_IsConflict()
    {
        var history = new[] { Event(Comirnaty, Day(2021, 1, 1), 1) };

        var result = Check(Draft(Vaxzevria, Day(2021, 6, 1), 1), history);

        Assert.Equal("dose-already-recorded", result.Failure?.Code);
    }

    [Fact]
    public void Check_FluInANewSeason_StartsAgainAtDoseOne()
    {
        var history = new[] { Event(FluCellBased, Day(2024, 10, 5), 1) };

        var result = Check(Draft(FluCellBased, Day(2025, 9, 20)), history);

        Assert.Equal(1, result.Value);
    }

    [Fact]
    public void Check_FluTwiceInOneSeason_DerivesDoseTwo()
    {
        var history = new[] { Event(FluCellBased, Day(2025, 9, 5), 1) };

        var result = Check(Draft(FluCellBased, Day(2025, 10, 20)), history);

        Assert.Equal(2, result.Value);
    }

    private static Immunise.Common.Result<int> Check(VaccinationEvent draft, IReadOnlyList<VaccinationEvent> history)
    {
        var product = s_catalogue.FindProduct(draft.ProductCode)!;
        return DoseRules.Check(draft, product, s_catalogue.DiseaseOf(product), history, s_catalogue);
    }

    private static DateTimeOffset Day(int y, int m, int d) => new(y, m, d, 10, 0, 0, TimeSpan.Zero);

    private static VaccinationEvent Draft(string product, DateTimeOffset at, int dose = 0) => Event(product, at, dose);

    private static VaccinationEvent Event(string product, DateTimeOffset at, int dose) => new(
        Guid.NewGuid().ToString(), s_nhs, s_catalogue.DiseaseOf(s_catalogue.FindProduct(product)!).Target, product, dose, at, "B87008",
        null, null, null, null, null, true, VaccinationStatus.Completed, at, "test");
}
