namespace Immunise.People;

/// <summary>How strict the register is about what it holds. Bound from the <c>Register</c> configuration section.</summary>
public sealed class RegisterOptions
{
    public const string Section = "Register";

    /// <summary>
    /// Off unless set explicitly: lets a test or replay environment hold NHS numbers whose check digit fails (NHS England's
    /// eligibility scenarios use such numbers). A real register refuses them everywhere.
    /// </summary>
    public bool AcceptTestNumbersWithoutCheckDigit { get; set; }

    public bool TryParseNhsNumber(string? input, out NhsNumber number, out string reason) =>
        NhsNumber.TryParse(input, requireCheckDigit: !AcceptTestNumbersWithoutCheckDigit, out number, out reason);
}
