using System.Globalization;
using System.Text;
using Dapper;
using Immunise.Geography;
using Immunise.Storage;

namespace Immunise.People;

/// <summary>Details a citizen gives when they do not know their NHS number.</summary>
public sealed record PersonDetails(string GivenName, string FamilyName, DateOnly DateOfBirth, string Postcode);

/// <summary>
/// Finds a living person in the register from their name, date of birth and postcode, as a citizen types them: the date of
/// birth and postcode must be the register's, the family name must be the same once case, spaces, hyphens, apostrophes and
/// accents are set aside, and the given name too (or the register's given name must start with what was typed, so "Sam"
/// finds "Samantha" only when nobody else matches). Exactly one person must match; two or more is no match, so a citizen
/// is never shown someone else's record.
/// <para>
/// The register has no index on (date_of_birth, postcode) yet: on SQLite and PostgreSQL this reads every person born on
/// the day, which is fine at demo scale; a national register needs that index.
/// </para>
/// </summary>
public sealed class MatchPerson(Database database)
{
    private const string Sql =
        """
        SELECT nhs_number, given_name, family_name FROM people
        WHERE date_of_birth = @dateOfBirth AND postcode = @postcode AND date_of_death IS NULL
        """;

    public async Task<NhsNumber?> HandleAsync(PersonDetails details, CancellationToken cancellationToken = default)
    {
        if (!Postcode.TryNormalise(details.Postcode, out var postcode))
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var candidates = (await connection.QueryAsync<Candidate>(new CommandDefinition(
            Sql, new { dateOfBirth = details.DateOfBirth, postcode }, cancellationToken: cancellationToken))).ToList();
        var family = Normalise(details.FamilyName);
        var given = Normalise(details.GivenName);
        if (family.Length == 0 || given.Length == 0)
        {
            return null;
        }

        var sameFamily = candidates.Where(c => Normalise(c.FamilyName) == family).ToList();
        var exact = sameFamily.Where(c => Normalise(c.GivenName) == given).ToList();
        var chosen = exact.Count > 0 ? exact : sameFamily.Where(c => Normalise(c.GivenName).StartsWith(given, StringComparison.Ordinal)).ToList();
        return chosen.Count == 1 ? NhsNumber.FromStored(chosen[0].NhsNumber) : null;
    }

    /// <summary>Lower case, letters and digits only, accents removed: "O'Brien-Smith" and "obrien smith" are the same.</summary>
    public static string Normalise(string? name)
    {
        var decomposed = (name ?? "").Normalize(NormalizationForm.FormD);
        var result = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (char.IsLetterOrDigit(c) && CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                result.Append(char.ToLowerInvariant(c));
            }
        }

        return result.ToString();
    }

    private sealed class Candidate
    {
        public string NhsNumber { get; set; } = "";
        public string GivenName { get; set; } = "";
        public string FamilyName { get; set; } = "";
    }
}
