using Immunise.Eligibility;

namespace Immunise.Tests.Eligibility;

public sealed class RuleConditionTests
{
    private static readonly DateOnly s_today = new(2026, 3, 15);

    private static bool Match(string op, string comparator, string? item)
    {
        var condition = RuleCondition.TryParse(op, comparator, out var error);
        Assert.True(condition is not null, error);
        return condition.Matches(item, s_today);
    }

    [Theory]
    [InlineData("=", "N", "N", true)]
    [InlineData("=", "N", "Y", false)]
    [InlineData("=", "N", null, false)]
    [InlineData("=", "", "", true)]
    [InlineData("!=", "N", null, true)]
    [InlineData("!=", "N", "Y", true)]
    [InlineData("!=", "N", "N", false)]
    [InlineData(">", "10", "9", false)]
    [InlineData(">", "10", "11", true)]
    [InlineData(">=", "10", "10", true)]
    [InlineData("<", "10", "9", true)]
    [InlineData("<=", "10", "11", false)]
    [InlineData("<", "10", null, false)]
    [InlineData(">", "10", "", false)]
    [InlineData(">=", "19510701", "19510630", false)]
    [InlineData("<", "19510701", "19510630", true)]
    public void Scalar_ComparesNumbersAsNumbersAndMissingValuesSafely(string op, string comparator, string? item, bool expected) =>
        Assert.Equal(expected, Match(op, comparator, item));

    [Fact]
    public void Scalar_ComparesNonNumbersAsText()
    {
        Assert.True(Match(">", "B81087", "C00001"));
        Assert.False(Match(">", "9", "10A"));
    }

    [Theory]
    [InlineData("in", "QE1,QE2", "QE2", true)]
    [InlineData("in", "QE1,QE2", "QE3", false)]
    [InlineData("in", "QE1,QE2", null, false)]
    [InlineData("not_in", "QE1,QE2", "QE3", true)]
    [InlineData("not_in", "QE1,QE2", "QE1", false)]
    [InlineData("not_in", "QE1,QE2", null, true)]
    [InlineData("MemberOf", "a,b", "c,b", true)]
    [InlineData("member_of", "a,b", "c", false)]
    [InlineData("NotMemberOf", "a,b", "c,d", true)]
    [InlineData("not_member_of", "a,b", "a", false)]
    [InlineData("contains", "SG", "SG8 6EG", true)]
    [InlineData("contains", "SG", null, false)]
    [InlineData("not_contains", "SG", "LS1 1AB", true)]
    [InlineData("starts_with", "SG8", "SG8 6EG", true)]
    [InlineData("not_starts_with", "SG8", "SG8 6EG", false)]
    [InlineData("ends_with", "6EG", "SG8 6EG", true)]
    [InlineData("is_null", "", null, true)]
    [InlineData("is_null", "", "", true)]
    [InlineData("is_not_null", "", "x", true)]
    [InlineData("is_empty", "", "", true)]
    [InlineData("is_not_empty", "", null, false)]
    [InlineData("is_true", "", "true", true)]
    [InlineData("is_false", "", "true", false)]
    [InlineData("between", "5,10", "7", true)]
    [InlineData("between", "10,5", "10", true)]
    [InlineData("between", "5,10", "11", false)]
    [InlineData("not_between", "5,10", "11", true)]
    [InlineData("not_between", "5,10", null, false)]
    public void SetAndTextOperators_MatchAsDocumented(string op, string comparator, string? item, bool expected) =>
        Assert.Equal(expected, Match(op, comparator, item));

    [Theory]
    [InlineData("D>=", "0", "20260315", true)]
    [InlineData("D>=", "0", "20260314", false)]
    [InlineData("D>", "0", "20260315", false)]
    [InlineData("D<", "-91", "20251213", true)]
    [InlineData("D<", "-91", "20251214", false)]
    [InlineData("D<=", "-91", "20251214", true)]
    [InlineData("W>", "-2", "20260302", true)]
    [InlineData("W>", "-2", "20260301", false)]
    [InlineData("Y>", "-75", "19510316", true)]
    [InlineData("Y>", "-75", "19510315", false)]
    [InlineData("Y>=", "-75", "19510315", true)]
    [InlineData("Y<", "-75", "19510314", true)]
    [InlineData("Y<=", "-75", "19510316", false)]
    [InlineData("D>=", "0", null, false)]
    [InlineData("D>=", "0", "not a date", false)]
    public void DateComparators_CompareAgainstTodayShifted(string op, string comparator, string? item, bool expected) =>
        Assert.Equal(expected, Match(op, comparator, item));

    [Fact]
    public void DateComparator_WithOffset_CountsFromTheOffsetDate()
    {
        Assert.True(Match("Y>=", "-75[[OFFSET:20260630]]", "19510630"));
        Assert.False(Match("Y>=", "-75[[OFFSET:20260630]]", "19510629"));
    }

    [Fact]
    public void DateComparator_YearsFromLeapDay_LandsOnTwentyEighthOfFebruary()
    {
        var condition = RuleCondition.TryParse("Y<=", "-1", out _)!;

        Assert.True(condition.Matches("20270228", new DateOnly(2028, 2, 29)));
        Assert.False(condition.Matches("20270301", new DateOnly(2028, 2, 29)));
    }

    [Fact]
    public void Nvl_SuppliesTheValueForAMissingAttributeOnly()
    {
        Assert.True(Match("D<", "0[[NVL:18000101]]", null));
        Assert.False(Match("D<", "0[[NVL:18000101]]", "20260316"));
        Assert.True(Match("!=", "N[[NVL:Y]]", null));
        Assert.False(Match("!=", "N[[NVL:Y]]", "N"));
    }

    [Theory]
    [InlineData("~=", "x", "unknown operator '~='")]
    [InlineData("D>>", "1", "unknown operator 'D>>'")]
    [InlineData("Y>", "seventy", "whole-number comparator")]
    [InlineData("between", "1", "two whole numbers")]
    [InlineData("D>", "1[[OFFSET:20261399]]", "offset that is not a date")]
    public void TryParse_RefusesWhatItCannotEvaluate(string op, string comparator, string message)
    {
        var condition = RuleCondition.TryParse(op, comparator, out var error);

        Assert.Null(condition);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}
