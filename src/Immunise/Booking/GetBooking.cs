using Dapper;
using Immunise.Common;
using Immunise.People;
using Immunise.Storage;

namespace Immunise.Booking;

/// <summary>
/// Reads appointments: one by its reference, shown only with the matching date of birth (a wrong date of birth is answered
/// exactly as an unknown reference: <c>booking-not-found</c>); or all of a person's, newest first (for authorised systems
/// and the journey once the person has identified themselves; the caller audits the read).
/// </summary>
public sealed class GetBooking(Database database)
{
    public async Task<Result<Appointment>> ByReferenceAsync(string? reference, DateOnly dateOfBirth, CancellationToken cancellationToken = default)
    {
        var found = await FindOwnAsync(database, reference, dateOfBirth, cancellationToken);
        return found.Succeeded ? found.Value!.ToAppointment() : found.Failure!;
    }

    /// <summary>A person's appointments (every status), the latest appointment first.</summary>
    public async Task<IReadOnlyList<Appointment>> ForPersonAsync(NhsNumber nhsNumber, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<BookingRows.Row>(new CommandDefinition(
            $"{BookingRows.Select} WHERE b.nhs_number = @nhs ORDER BY sl.starts_at DESC, b.created_at DESC",
            new { nhs = nhsNumber.Value }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToAppointment()).ToList();
    }

    /// <summary>The person's active appointments (held or booked), soonest first: what "manage your appointments" lists.</summary>
    public async Task<IReadOnlyList<Appointment>> ActiveForPersonAsync(NhsNumber nhsNumber, DateOnly dateOfBirth, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<BookingRows.Row>(new CommandDefinition(
            $"{BookingRows.Select} WHERE b.nhs_number = @nhs AND p.date_of_birth = @dateOfBirth AND b.status IN ('held', 'booked') ORDER BY sl.starts_at",
            new { nhs = nhsNumber.Value, dateOfBirth }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToAppointment()).ToList();
    }

    internal static async Task<Result<BookingRows.Row>> FindOwnAsync(Database database, string? reference, DateOnly dateOfBirth, CancellationToken cancellationToken)
    {
        if (!BookingReference.TryParse(reference, out var canonical))
        {
            return Failure.Invalid("invalid-reference", $"A booking reference is {BookingReference.Length} letters and digits.", "reference");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await BookingRows.FindAsync(connection, null, "b.reference = @canonical", new { canonical }, cancellationToken);
        return row is null || row.DateOfBirth != dateOfBirth ? BookingCodes.BookingNotFound : row;
    }
}
