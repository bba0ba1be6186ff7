using Immunise.Geography;
using Immunise.Tests.Infrastructure;
using Immunise.Vaccines;

namespace Immunise.Tests.Unit;

public sealed class CatalogueAndGeographyTests
{
    [Fact]
    public void Catalogue_EveryProductCode_IsAKnownEnglandCode()
    {
        // The shared code list is NHS England's; every COVID-19 product we ship must appear in it.
        var known = File.ReadLines(SharedData.PathTo("uk/snomed_vaccination_codes_england.csv")).Skip(1)
            .Select(l => l.Split(',')[0]).ToHashSet();

        var covid = VaccineCatalogue.Default.Products.Where(p => p.Target == "COVID19").ToList();

        Assert.NotEmpty(covid);
        Assert.All(covid, p => Assert.Contains(p.Code, known));
    }

    [Fact]
    public void Catalogue_TargetDiseases_UseTheDomainSnomedCodes()
    {
        Assert.Equal("840539006", VaccineCatalogue.Default.FindDisease("COVID19")?.SnomedCode);
        Assert.Equal("6142004", VaccineCatalogue.Default.FindDisease("FLU")?.SnomedCode);
        Assert.Equal("FLU", VaccineCatalogue.Default.FindDisease("6142004")?.Target);
        Assert.Equal("1324691000000104", VaccineCatalogue.Default.FindDisease("COVID19")!.ProcedureFor(2).Code);
    }

    [Fact]
    public void Geography_RegionsAndIcbs_MatchTheNationalCodeLists()
    {
        var regions = File.ReadLines(SharedData.PathTo("geo/nhs_england_regions.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var icbs = File.ReadLines(SharedData.PathTo("geo/icbs_july2022.csv")).Skip(1).Select(l => l.Split(',')).ToList();

        Assert.Equal(7, ReferenceGeography.Default.Regions.Count);
        Assert.Equal(42, ReferenceGeography.Default.Icbs.Count);
        Assert.All(regions, r => Assert.Equal(r[1], ReferenceGeography.Default.FindRegion(r[0])?.OdsCode));
        Assert.All(icbs, i => Assert.Equal(i[1], ReferenceGeography.Default.FindIcb(i[0])?.OdsCode));
        Assert.All(icbs.Where(i => i.Length > 3 && i[3].StartsWith('Y')), i =>
            Assert.Equal(i[3], ReferenceGeography.Default.FindIcb(i[1])?.RegionOdsCode));
    }

    [Theory]
    [InlineData("sw1a1aa", "SW1A 1AA")]
    [InlineData(" LS1  4AP ", "LS1 4AP")]
    [InlineData("m1 1ae", "M1 1AE")]
    public void Postcode_TryNormalise_GivesCanonicalForm(string input, string expected)
    {
        Assert.True(Postcode.TryNormalise(input, out var postcode));
        Assert.Equal(expected, postcode);
        Assert.Equal(expected.Split(' ')[0], Postcode.Outcode(postcode));
        Assert.Equal(expected[..^2], Postcode.Sector(postcode));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("SW1A-1AA")]
    [InlineData("SW1A 1A")]
    public void Postcode_TryNormalise_RefusesWhatIsNotAPostcode(string input)
    {
        Assert.False(Postcode.TryNormalise(input, out _));
    }
}
