using Dapper;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Storage;

namespace Immunise.Staff;

/// <summary>
/// Checks an email and password. Every attempt is audited: <c>staff.signed-in</c>, or <c>staff.sign-in-failed</c> with
/// the reason (<c>unknown-account</c>, <c>wrong-password</c>, <c>locked</c>, <c>disabled</c>, <c>no-password</c>) as the
/// audit line's purpose, and <c>staff.locked-out</c> when a wrong password locks the account. The caller is told only
/// <c>sign-in-refused</c>, whatever the reason, so the answer does not reveal which accounts exist.
/// </summary>
public sealed class SignIn(Database database, TimeProvider clock, AuditLog audit, StaffDirectory directory, StaffOptions options)
{
    public static readonly Failure Refused = Failure.Invalid("sign-in-refused",
        "The email address or password is not right, or the account is locked after too many tries. Check them and try again later.", "email");

    public async Task<Result<StaffUser>> HandleAsync(string? email, string? password, string? correlationId, CancellationToken cancellationToken = default)
    {
        password ??= "";
        var user = StaffEmail.TryNormalise(email, out var normalised) && password.Length <= StaffPasswords.MaximumLength
            ? await LoadAsync(normalised, cancellationToken)
            : null;
        var now = clock.GetUtcNow();
        if (user is null)
        {
            StaffPasswords.Verify(null, password, out _); // the same work as for a real account
            await FailedAsync(Actor.Anonymous, null, "unknown-account", correlationId);
            return Refused;
        }

        var actor = Actor.Staff(user.Id);
        var verified = StaffPasswords.Verify(user.PasswordHash, password, out var rehash);
        var reason = user.DisabledAt is not null ? "disabled"
            : user.LockedUntil > now ? "locked"
            : user.PasswordHash is null ? "no-password"
            : !verified ? "wrong-password"
            : null;
        if (reason is not null)
        {
            var lockedNow = reason == "wrong-password" && await CountFailureAsync(user.Id, now, cancellationToken);
            await FailedAsync(actor, user.Id, reason, correlationId);
            if (lockedNow)
            {
                await audit.WriteAsync(new AuditEntry(actor, "staff.locked-out", ResourceType: ManageStaff.ResourceType, ResourceId: user.Id,
                    CorrelationId: correlationId), CancellationToken.None);
            }

            return Refused;
        }

        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE staff_users SET failed_sign_ins = 0, locked_until = NULL, last_sign_in_at = @now{(rehash ? ", password_hash = @hash" : "")} WHERE id = @id",
                new { id = user.Id, now, hash = rehash ? StaffPasswords.Hash(password) : null }, cancellationToken: cancellationToken));
        }

        await audit.WriteAsync(new AuditEntry(actor, "staff.signed-in", ResourceType: ManageStaff.ResourceType, ResourceId: user.Id,
            CorrelationId: correlationId), CancellationToken.None);
        return (await directory.FindAsync(user.Id, cancellationToken))!;
    }

    /// <summary>Counts a wrong password; true when this one locked the account (the count starts again after the lockout).</summary>
    private async Task<bool> CountFailureAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var locked = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            """
            UPDATE staff_users
            SET failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= @max THEN 0 ELSE failed_sign_ins + 1 END,
                locked_until = CASE WHEN failed_sign_ins + 1 >= @max THEN @until ELSE locked_until END
            WHERE id = @id
            RETURNING CASE WHEN locked_until = @until THEN 1 ELSE 0 END
            """,
            new { id, max = options.MaxFailedSignIns, until = now.AddMinutes(options.LockoutMinutes) }, cancellationToken: cancellationToken));
        return locked == 1;
    }

    private Task FailedAsync(Actor actor, string? userId, string reason, string? correlationId) =>
        audit.WriteAsync(new AuditEntry(actor, "staff.sign-in-failed", ResourceType: userId is null ? null : ManageStaff.ResourceType,
            ResourceId: userId, Purpose: reason, CorrelationId: correlationId), CancellationToken.None);

    private async Task<SignInRow?> LoadAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SignInRow>(new CommandDefinition(
            "SELECT id, password_hash, locked_until, disabled_at FROM staff_users WHERE email = @email",
            new { email }, cancellationToken: cancellationToken));
    }

    private sealed class SignInRow
    {
        public string Id { get; set; } = "";
        public string? PasswordHash { get; set; }
        public DateTimeOffset? LockedUntil { get; set; }
        public DateTimeOffset? DisabledAt { get; set; }
    }
}

/// <summary>
/// A member of staff changes their own password: the current one must be right, the new one must pass
/// <see cref="StaffPasswords.Check"/> and differ from it. The security stamp changes, so other sign-ins end.
/// </summary>
public sealed class ChangePassword(Database database, TimeProvider clock, AuditLog audit)
{
    public async Task<Result<string>> HandleAsync(string userId, string? currentPassword, string? newPassword, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Email, string? PasswordHash)>(new CommandDefinition(
            "SELECT email, password_hash FROM staff_users WHERE id = @id AND disabled_at IS NULL", new { id = userId }, cancellationToken: cancellationToken));
        if (row.Email is null)
        {
            return Failure.NotFound("user-not-found", "No staff account has this id.");
        }

        if (!StaffPasswords.Verify(row.PasswordHash, currentPassword ?? "", out _))
        {
            return Failure.Invalid("wrong-current-password", "Your current password is not right.", "currentPassword");
        }

        if (StaffPasswords.Check(newPassword, row.Email) is { } weak)
        {
            return weak with { Field = "newPassword" };
        }

        if (newPassword == currentPassword)
        {
            return Failure.Invalid("password-unchanged", "The new password must be different from the current one.", "newPassword");
        }

        var stamp = StaffPasswords.NewSecurityStamp();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE staff_users SET password_hash = @hash, must_change_password = @no, security_stamp = @stamp, updated_at = @now WHERE id = @id",
            new { id = userId, hash = StaffPasswords.Hash(newPassword!), no = false, stamp, now = clock.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
        await audit.WriteAsync(connection, transaction,
            new AuditEntry(Actor.Staff(userId), "staff.password-changed", ResourceType: ManageStaff.ResourceType, ResourceId: userId), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stamp;
    }
}
