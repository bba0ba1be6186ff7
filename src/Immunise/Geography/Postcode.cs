using System.Diagnostics.CodeAnalysis;

namespace Immunise.Geography;

/// <summary>
/// A UK postcode in its canonical form: upper case, outward and inward codes separated by one space (<c>SW1A 1AA</c>).
/// </summary>
public static class Postcode
{
    /// <summary>Normalises a postcode, or fails when it is not shaped like one.</summary>
    public static bool TryNormalise([NotNullWhen(true)] string? input, [NotNullWhen(true)] out string? postcode)
    {
        postcode = null;
        if (string.IsNullOrWhiteSpace(input))
        {
            return false;
        }

        Span<char> compact = stackalloc char[8];
        var n = 0;
        foreach (var c in input)
        {
            if (c == ' ')
            {
                continue;
            }

            if (!char.IsAsciiLetterOrDigit(c) || n == 7)
            {
                return false;
            }

            compact[n++] = char.ToUpperInvariant(c);
        }

        // Outward code: 2–4 characters starting with a letter; inward code: digit, letter, letter.
        if (n is < 5 or > 7 || !char.IsAsciiLetter(compact[0]) || !char.IsAsciiDigit(compact[n - 3])
            || !char.IsAsciiLetter(compact[n - 2]) || !char.IsAsciiLetter(compact[n - 1]))
        {
            return false;
        }

        postcode = string.Concat(compact[..(n - 3)], " ", compact[(n - 3)..n]);
        return true;
    }

    /// <summary>The outward code (district): <c>SW1A</c> of <c>SW1A 1AA</c>.</summary>
    public static string Outcode(string canonical) => canonical[..canonical.IndexOf(' ', StringComparison.Ordinal)];

    /// <summary>The sector: <c>SW1A 1</c> of <c>SW1A 1AA</c>.</summary>
    public static string Sector(string canonical) => canonical[..^2];
}
