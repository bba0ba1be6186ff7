using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Dapper;
using Immunise.Common;
using Immunise.Storage;
using Microsoft.AspNetCore.Identity;

namespace Immunise.Staff;

/// <summary>A member of staff's account and the roles granted to them.</summary>
public sealed record StaffUser(
    string Id,
    string Email,
    string DisplayName,
    bool HasPassword,
    bool MustChangePassword,
    string SecurityStamp,
    DateTimeOffset? LockedUntil,
    DateTimeOffset? DisabledAt,
    DateTimeOffset? LastSignInAt,
    IReadOnlyList<Grant> Grants)
{
    public bool IsDisabled => DisabledAt is not null;

    public bool Has(StaffRole role) => Grants.Any(g => g.Role == role);

    public bool IsAdministrator => Has(StaffRole.NationalAdministrator);

    /// <summary>The organisations (ODS codes) where this person holds <paramref name="role"/>.</summary>
    public IReadOnlyList<string> OrganisationsFor(StaffRole role) =>
        Grants.Where(g => g.Role == role && g.ScopeType == ScopeType.Organisation).Select(g => g.ScopeCode).Distinct().ToList();
}

/// <summary>Sign-in rules, bound from <c>Staff</c>.</summary>
public sealed class StaffOptions
{
    public const string Section = "Staff";

    /// <summary>Wrong passwords in a row before the account is locked.</summary>
    [Range(1, 100)]
    public int MaxFailedSignIns { get; set; } = 5;

    /// <summary>How long a locked account stays locked.</summary>
    [Range(1, 24 * 60)]
    public int LockoutMinutes { get; set; } = 15;

    /// <summary>Sign-in attempts (form posts) allowed from one client address per window.</summary>
    [Range(1, 100_000)]
    public int SignInAttemptsPerWindow { get; set; } = 10;

    /// <summary>The rate limiter's window for sign-in attempts, in seconds.</summary>
    [Range(1, 86_400)]
    public int SignInWindowSeconds { get; set; } = 60;

    /// <summary>How long a sign-in lasts without activity, in minutes (sliding).</summary>
    [Range(5, 24 * 60)]
    public int SessionMinutes { get; set; } = 60;

    /// <summary>A password every demo user gets (Development only); unset, no demo users are made.</summary>
    public string? DemoPassword { get; set; }

    /// <summary>The site (ODS code) the demo's site staff work at.</summary>
    public string DemoSite { get; set; } = "B87008";

    /// <summary>The region (ODS Y-code) the demo's regional manager manages.</summary>
    public string DemoRegion { get; set; } = "Y56";
}

/// <summary>
/// Passwords: hashed with ASP.NET Core's <see cref="PasswordHasher{TUser}"/> (PBKDF2, salted, versioned); 12 to 256
/// characters and not the email address. Temporary passwords are random, from letters and digits that cannot be misread.
/// </summary>
public static class StaffPasswords
{
    public const int MinimumLength = 12;
    public const int MaximumLength = 256;
    private const string TemporaryAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
    private static readonly PasswordHasher<string> s_hasher = new();

    /// <summary>A hash to verify against when there is no account, so unknown and known emails take the same time.</summary>
    private static readonly string s_decoy = s_hasher.HashPassword("", "decoy-password-for-timing");

    public static string Hash(string password) => s_hasher.HashPassword("", password);

    /// <summary>Verifies a password; <paramref name="rehash"/> is true when the stored hash should be upgraded.</summary>
    public static bool Verify(string? storedHash, string password, out bool rehash)
    {
        var result = s_hasher.VerifyHashedPassword("", storedHash ?? s_decoy, password);
        rehash = result == PasswordVerificationResult.SuccessRehashNeeded;
        return storedHash is not null && result != PasswordVerificationResult.Failed;
    }

    public static Failure? Check(string? password, string email)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinimumLength)
        {
            return Failure.Invalid("password-too-short", $"The password must be at least {MinimumLength} characters.", "password");
        }

        if (password.Length > MaximumLength)
        {
            return Failure.Invalid("password-too-long", $"The password must be {MaximumLength} characters or fewer.", "password");
        }

        if (string.Equals(password.Trim(), email, StringComparison.OrdinalIgnoreCase))
        {
            return Failure.Invalid("password-is-email", "The password must not be the email address.", "password");
        }

        return null;
    }

    public static string Temporary() => RandomNumberGenerator.GetString(TemporaryAlphabet, 16);

    public static string NewSecurityStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

/// <summary>Email addresses as accounts use them: trimmed, lower-case, one @, no spaces, at most 254 characters.</summary>
public static class StaffEmail
{
    public static bool TryNormalise(string? input, out string email)
    {
        email = input?.Trim().ToLowerInvariant() ?? "";
        var at = email.IndexOf('@', StringComparison.Ordinal);
        return email.Length is > 2 and <= 254 && at > 0 && at == email.LastIndexOf('@') && at < email.Length - 1
            && !email.Any(char.IsWhiteSpace) && !email.Any(char.IsControl);
    }
}

/// <summary>Reads staff accounts and their grants.</summary>
public sealed class StaffDirectory(Database database)
{
    internal const string UserColumns =
        "id, email, display_name, password_hash, must_change_password, security_stamp, failed_sign_ins, locked_until, disabled_at, last_sign_in_at";

    public async Task<StaffUser?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64)
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM staff_users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : row.ToUser(await GrantsAsync(connection, [row.Id], cancellationToken));
    }

    public async Task<StaffUser?> FindByEmailAsync(string email, CancellationToken cancellationToken = default)
    {
        if (!StaffEmail.TryNormalise(email, out var normalised))
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM staff_users WHERE email = @email", new { email = normalised }, cancellationToken: cancellationToken));
        return row is null ? null : row.ToUser(await GrantsAsync(connection, [row.Id], cancellationToken));
    }

    /// <summary>
    /// The accounts <paramref name="viewer"/> may manage: every account for an administrator; for a site manager, the
    /// accounts with a role at one of their sites. Ordered by email, at most <paramref name="limit"/>.
    /// </summary>
    public async Task<IReadOnlyList<StaffUser>> ListAsync(StaffUser viewer, string? emailContains = null, int limit = 200, CancellationToken cancellationToken = default)
    {
        var sites = viewer.OrganisationsFor(StaffRole.SiteManager);
        if (!viewer.IsAdministrator && sites.Count == 0)
        {
            return [];
        }

        var filter = string.IsNullOrWhiteSpace(emailContains) ? null : "%" + emailContains.Trim().ToLowerInvariant().Replace("%", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal) + "%";
        var where = viewer.IsAdministrator
            ? "WHERE 1 = 1"
            : "WHERE id IN (SELECT user_id FROM staff_roles WHERE scope_type = 'organisation' AND scope_code IN @sites)";
        if (database.Dialect.IsPostgres)
        {
            where = where.Replace("IN @sites", "= ANY(@sites)", StringComparison.Ordinal);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM staff_users {where} {(filter is null ? "" : "AND email LIKE @filter")} ORDER BY email LIMIT @limit",
            new { sites = sites.ToArray(), filter, limit }, cancellationToken: cancellationToken))).ToList();
        var grants = await GrantsAsync(connection, rows.Select(r => r.Id).ToList(), cancellationToken);
        return rows.Select(r => r.ToUser(grants)).ToList();
    }

    private async Task<ILookup<string, Grant>> GrantsAsync(System.Data.Common.DbConnection connection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return Array.Empty<Grant>().ToLookup(_ => "");
        }

        var sql = database.Dialect.IsPostgres
            ? "SELECT user_id, role, scope_type, scope_code FROM staff_roles WHERE user_id = ANY(@ids) ORDER BY role, scope_type, scope_code"
            : "SELECT user_id, role, scope_type, scope_code FROM staff_roles WHERE user_id IN @ids ORDER BY role, scope_type, scope_code";
        var rows = await connection.QueryAsync<GrantRow>(new CommandDefinition(sql, new { ids = ids.ToArray() }, cancellationToken: cancellationToken));
        return rows.Select(r => (r.UserId, Grant: r.ToGrant())).Where(r => r.Grant is not null).ToLookup(r => r.UserId, r => r.Grant!);
    }

    internal sealed class UserRow
    {
        public string Id { get; set; } = "";
        public string Email { get; set; } = "";
        public string DisplayName { get; set; } = "";
        public string? PasswordHash { get; set; }
        public bool MustChangePassword { get; set; }
        public string SecurityStamp { get; set; } = "";
        public int FailedSignIns { get; set; }
        public DateTimeOffset? LockedUntil { get; set; }
        public DateTimeOffset? DisabledAt { get; set; }
        public DateTimeOffset? LastSignInAt { get; set; }

        public StaffUser ToUser(ILookup<string, Grant> grants) =>
            new(Id, Email, DisplayName, PasswordHash is not null, MustChangePassword, SecurityStamp, LockedUntil, DisabledAt, LastSignInAt, grants[Id].ToList());
    }

    private sealed class GrantRow
    {
        public string UserId { get; set; } = "";
        public string Role { get; set; } = "";
        public string ScopeType { get; set; } = "";
        public string ScopeCode { get; set; } = "";

        public Grant? ToGrant() =>
            StaffRoles.TryParse(Role, out var role) && StaffRoles.TryParseScope(ScopeType, out var scope) ? new Grant(role, scope, ScopeCode) : null;
    }
}
