using System.Text.Json;
using Immunise.People;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Unit;

public sealed class NhsNumberTests
{
    public static TheoryData<string, bool> Vectors()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(SharedData.PathTo("uk/nhs_number_test_vectors.json")));
        var data = new TheoryData<string, bool>();
        foreach (var c in json.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("nhs_number").GetString()!, c.GetProperty("mod11_valid").GetBoolean());
        }

        return data;
    }

    [Theory, MemberData(nameof(Vectors))]
    public void TryParse_PublishedTestVectors_AgreeWithModulus11(string input, bool valid)
    {
        var parsed = NhsNumber.TryParse(input, out var number, out var reason);

        Assert.Equal(valid, parsed);
        Assert.Equal(valid, reason.Length == 0);
        if (valid)
        {
            Assert.Equal(input, number.Value);
        }
    }

    [Theory]
    [InlineData("943 476 5919")]
    [InlineData("943-476-5919")]
    [InlineData(" 9434765919 ")]
    public void TryParse_WithSpacesOrHyphens_IsAccepted(string input)
    {
        Assert.True(NhsNumber.TryParse(input, out var number));
        Assert.Equal("9434765919", number.Value);
        Assert.Equal("943 476 5919", number.Display);
    }

    [Theory]
    [InlineData("", "missing")]
    [InlineData("94347659", "10 digits")]
    [InlineData("94347659199", "10 digits")]
    [InlineData("9434765918", "check digit does not match")]
    [InlineData("4000000080", "no check digit")]
    [InlineData("94347659A9", "only digits")]
    [InlineData("0000000000", "all zeros")]
    public void TryParse_Invalid_GivesAReasonAPersonCanActOn(string input, string reasonContains)
    {
        Assert.False(NhsNumber.TryParse(input, out _, out var reason));
        Assert.Contains(reasonContains, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFirstNine_InSyntheticRange_GivesValidNumbersOrNone()
    {
        var made = Enumerable.Range(0, 1000).Select(k => NhsNumber.FromFirstNine(999_000_000 + k)).ToList();

        Assert.All(made.OfType<NhsNumber>(), n =>
        {
            Assert.True(NhsNumber.TryParse(n.Value, out _));
            Assert.True(n.IsSynthetic);
        });
        Assert.InRange(made.Count(n => n is null), 60, 120); // about 1 in 11 prefixes has no check digit
    }
}
