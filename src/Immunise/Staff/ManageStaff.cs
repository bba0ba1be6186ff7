using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Storage;

namespace Immunise.Staff;

/// <summary>Who may grant what: administrators anything; site managers the site roles at the sites they manage.</summary>
public static class StaffPermissions
{
    /// <summary>Whether <paramref name="actor"/> (null: the system, e.g. the CLI) may grant or revoke <paramref name="grant"/>.</summary>
    public static bool CanGrant(StaffUser? actor, Grant grant) =>
        actor is null
        || actor.IsAdministrator
        || (StaffRoles.SiteManagerGrantable.Contains(grant.Role) && grant.ScopeType == ScopeType.Organisation
            && actor.OrganisationsFor(StaffRole.SiteManager).Contains(grant.ScopeCode, StringComparer.Ordinal));

    /// <summary>Whether <paramref name="actor"/> may see and manage <paramref name="user"/>'s account.</summary>
    public static bool CanManage(StaffUser actor, StaffUser user) =>
        actor.IsAdministrator
        || (!user.IsAdministrator && user.Grants.Any(g => g.ScopeType == ScopeType.Organisation
            && actor.OrganisationsFor(StaffRole.SiteManager).Contains(g.ScopeCode, StringComparer.Ordinal)));

    /// <summary>Checks a grant's shape: a known role at a scope it may be granted at, with a well-formed code.</summary>
    public static Failure? CheckShape(Grant grant)
    {
        if (!StaffRoles.AllowsScope(grant.Role, grant.ScopeType))
        {
            return Failure.Invalid("role-scope-mismatch",
                $"{StaffRoles.Display(grant.Role)} cannot be granted at {StaffRoles.ScopeCode(grant.ScopeType)} scope.", "scope");
        }

        if (grant.ScopeType == ScopeType.National ? grant.ScopeCode.Length != 0 : !StaffRoles.TryParseOdsCode(grant.ScopeCode, out var code) || code != grant.ScopeCode)
        {
            return Failure.Invalid("invalid-scope-code", "The scope needs an ODS code (e.g. B87008, or a region's Y-code); national scope has none.", "scopeCode");
        }

        return null;
    }
}

/// <summary>A new account: shown once with its temporary password (null when a password was chosen, or none was set).</summary>
public sealed record CreatedStaffUser(StaffUser User, string? TemporaryPassword);

/// <summary>
/// Creates accounts, grants and revokes roles, sets temporary passwords. Every change is audited in the same transaction,
/// with the acting member of staff (or the system) as actor and the account id as resource; never the email or password.
/// </summary>
public sealed class ManageStaff(Database database, TimeProvider clock, AuditLog audit, StaffDirectory directory)
{
    public const string ResourceType = "StaffUser";

    /// <summary>
    /// Creates an account with one role. <paramref name="password"/> null gives a temporary password that must be changed
    /// at first sign-in (returned once); <paramref name="setPassword"/> false creates the account without any password
    /// (bulk imports: someone sets a temporary one later).
    /// </summary>
    public async Task<Result<CreatedStaffUser>> CreateAsync(
        StaffUser? actor, Actor auditActor, string? email, string? displayName, Grant grant, string? password = null, bool setPassword = true,
        CancellationToken cancellationToken = default)
    {
        if (!StaffEmail.TryNormalise(email, out var normalised))
        {
            return Failure.Invalid("invalid-email", "Enter an email address in the correct format, like name@example.nhs.uk.", "email");
        }

        var name = displayName?.Trim() ?? "";
        if (name.Length is 0 or > 100)
        {
            return Failure.Invalid("invalid-name", "Enter the person's name (up to 100 characters).", "displayName");
        }

        if (StaffPermissions.CheckShape(grant) is { } shape)
        {
            return shape;
        }

        if (!StaffPermissions.CanGrant(actor, grant))
        {
            return new Failure(FailureKind.Forbidden, "cannot-grant", "You cannot grant this role at this scope.", "role");
        }

        var temporary = setPassword && password is null ? StaffPasswords.Temporary() : null;
        if (password is not null && StaffPasswords.Check(password, normalised) is { } weak)
        {
            return weak;
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO staff_users (id, email, display_name, password_hash, must_change_password, security_stamp, created_at, created_by, updated_at)
                VALUES (@id, @email, @name, @hash, @mustChange, @stamp, @now, @by, @now)
                """,
                new
                {
                    id,
                    email = normalised,
                    name,
                    hash = setPassword ? StaffPasswords.Hash(password ?? temporary!) : null,
                    mustChange = temporary is not null,
                    stamp = StaffPasswords.NewSecurityStamp(),
                    now,
                    by = auditActor.Id,
                },
                transaction, cancellationToken: cancellationToken));
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            return Failure.Conflict("email-taken", "An account with this email address already exists.", "email");
        }

        await audit.WriteAsync(connection, transaction, new AuditEntry(auditActor, "staff.user-created", ResourceType: ResourceType, ResourceId: id), cancellationToken);
        await InsertGrantAsync(connection, transaction, auditActor, id, grant, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new CreatedStaffUser((await directory.FindAsync(id, cancellationToken))!, temporary);
    }

    /// <summary>Grants a role; true when it is new, false when the account already had it.</summary>
    public async Task<Result<bool>> GrantAsync(StaffUser? actor, Actor auditActor, string userId, Grant grant, CancellationToken cancellationToken = default)
    {
        if (StaffPermissions.CheckShape(grant) is { } shape)
        {
            return shape;
        }

        var target = await directory.FindAsync(userId, cancellationToken);
        if (target is null || (actor is not null && !StaffPermissions.CanManage(actor, target) && !StaffPermissions.CanGrant(actor, grant)))
        {
            return Failure.NotFound("user-not-found", "No staff account has this id.");
        }

        if (!StaffPermissions.CanGrant(actor, grant))
        {
            return new Failure(FailureKind.Forbidden, "cannot-grant", "You cannot grant this role at this scope.", "role");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var added = await InsertGrantAsync(connection, transaction, auditActor, userId, grant, clock.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    /// <summary>Revokes a role; NotFound when the account does not have it.</summary>
    public async Task<Result<bool>> RevokeAsync(StaffUser? actor, Actor auditActor, string userId, Grant grant, CancellationToken cancellationToken = default)
    {
        var target = await directory.FindAsync(userId, cancellationToken);
        if (target is null || (actor is not null && !StaffPermissions.CanManage(actor, target)))
        {
            return Failure.NotFound("user-not-found", "No staff account has this id.");
        }

        if (!StaffPermissions.CanGrant(actor, grant))
        {
            return new Failure(FailureKind.Forbidden, "cannot-grant", "You cannot revoke this role at this scope.", "role");
        }

        if (actor is not null && actor.Id == userId && grant.Role == StaffRole.NationalAdministrator)
        {
            return Failure.Conflict("cannot-revoke-own-administrator", "You cannot remove your own administrator role: ask another administrator.");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM staff_roles WHERE user_id = @userId AND role = @role AND scope_type = @scopeType AND scope_code = @scopeCode",
            GrantParameters(userId, grant), transaction, cancellationToken: cancellationToken));
        if (rows == 0)
        {
            return Failure.NotFound("grant-not-found", "The account does not have this role.");
        }

        await audit.WriteAsync(connection, transaction,
            new AuditEntry(auditActor, "staff.role-revoked", ResourceType: ResourceType, ResourceId: userId, Purpose: grant.ToString()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Gives an account a new temporary password (returned once) that must be changed at the next sign-in; unlocks it and
    /// ends its other sign-ins.
    /// </summary>
    public async Task<Result<string>> SetTemporaryPasswordAsync(StaffUser? actor, Actor auditActor, string userId, CancellationToken cancellationToken = default)
    {
        var target = await directory.FindAsync(userId, cancellationToken);
        if (target is null || (actor is not null && !StaffPermissions.CanManage(actor, target)))
        {
            return Failure.NotFound("user-not-found", "No staff account has this id.");
        }

        var temporary = StaffPasswords.Temporary();
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE staff_users SET password_hash = @hash, must_change_password = @mustChange, security_stamp = @stamp, failed_sign_ins = 0,
                locked_until = NULL, updated_at = @now
            WHERE id = @id
            """,
            new { id = userId, hash = StaffPasswords.Hash(temporary), mustChange = true, stamp = StaffPasswords.NewSecurityStamp(), now },
            transaction, cancellationToken: cancellationToken));
        await audit.WriteAsync(connection, transaction,
            new AuditEntry(auditActor, "staff.password-reset", ResourceType: ResourceType, ResourceId: userId), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return temporary;
    }

    private async Task<bool> InsertGrantAsync(DbConnection connection, DbTransaction transaction, Actor auditActor, string userId, Grant grant,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var parameters = new
        {
            userId,
            role = StaffRoles.Code(grant.Role),
            scopeType = StaffRoles.ScopeCode(grant.ScopeType),
            scopeCode = grant.ScopeCode,
            now,
            by = auditActor.Id,
        };
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO staff_roles (user_id, role, scope_type, scope_code, granted_at, granted_by)
            VALUES (@userId, @role, @scopeType, @scopeCode, @now, @by)
            ON CONFLICT DO NOTHING
            """,
            parameters, transaction, cancellationToken: cancellationToken));
        if (rows > 0)
        {
            await audit.WriteAsync(connection, transaction,
                new AuditEntry(auditActor, "staff.role-granted", ResourceType: ResourceType, ResourceId: userId, Purpose: grant.ToString()), cancellationToken);
        }

        return rows > 0;
    }

    private static object GrantParameters(string userId, Grant grant) => new
    {
        userId,
        role = StaffRoles.Code(grant.Role),
        scopeType = StaffRoles.ScopeCode(grant.ScopeType),
        scopeCode = grant.ScopeCode,
    };
}
