using System.Diagnostics;
using Immunise.Audit;
using Immunise.Common;

namespace Immunise.Staff;

/// <summary>
/// Bulk import of staff accounts from CSV: <c>email,display_name,role,scope</c>, where scope is <c>national</c>,
/// <c>region:Y56</c> or <c>organisation:B87008</c> (a bare ODS code means the organisation). One row per role: a second
/// row for the same email adds a role. New accounts have no password until an administrator or site manager sets a
/// temporary one. Each bad row is rejected with its line number and a reason code, never its content; re-importing a file
/// changes nothing. Runs as the system (the CLI), so any role may be granted.
/// </summary>
public sealed class ImportStaffUsers(ManageStaff manage, StaffDirectory directory)
{
    public static readonly IReadOnlyList<string> RequiredColumns = ["email", "display_name", "role", "scope"];

    public async Task<Result<ImportSummary>> HandleAsync(TextReader reader, TextWriter rejects, CancellationToken cancellationToken = default)
    {
        var opened = CsvTable.Open(reader, RequiredColumns);
        if (!opened.Succeeded)
        {
            return opened.Failure!;
        }

        using var table = opened.Value!;
        var (emailAt, nameAt, roleAt, scopeAt) = (table.IndexOf("email"), table.IndexOf("display_name"), table.IndexOf("role"), table.IndexOf("scope"));
        var started = Stopwatch.StartNew();
        var actor = Actor.System("cli-users-import");
        long read = 0, created = 0, granted = 0, unchanged = 0;
        var rejections = new List<ImportRejection>();
        await rejects.WriteAsync("line,reason\n");
        foreach (var record in table.Records())
        {
            read++;
            ImportRejection? rejection = null;
            if (record.IsMalformed)
            {
                rejection = new ImportRejection(record.Line, "malformed-row", record.Error!);
            }
            else
            {
                var outcome = await ImportRowAsync(record, emailAt, nameAt, roleAt, scopeAt, actor, cancellationToken);
                if (!outcome.Succeeded)
                {
                    rejection = new ImportRejection(record.Line, outcome.Failure!.Code, outcome.Failure.Message);
                }
                else if (outcome.Value == RowOutcome.Created)
                {
                    created++;
                }
                else if (outcome.Value == RowOutcome.Granted)
                {
                    granted++;
                }
                else
                {
                    unchanged++;
                }
            }

            if (rejection is not null)
            {
                if (rejections.Count < ImportSummary.RejectionsKept)
                {
                    rejections.Add(rejection);
                }

                CsvOut.WriteRow(rejects, [rejection.Line.ToString(System.Globalization.CultureInfo.InvariantCulture), rejection.ToString()]);
            }
        }

        await rejects.FlushAsync(cancellationToken);
        return new ImportSummary(read, created, granted, unchanged, read - created - granted - unchanged, started.Elapsed, rejections);
    }

    private async Task<Result<RowOutcome>> ImportRowAsync(CsvRecord record, int emailAt, int nameAt, int roleAt, int scopeAt, Actor actor,
        CancellationToken cancellationToken)
    {
        var fields = record.Fields;
        var email = CsvField.Get(fields, emailAt);
        if (!StaffEmail.TryNormalise(email, out var normalised))
        {
            return Failure.Invalid("invalid-email", "The email address is missing or not in the correct format.");
        }

        if (!StaffRoles.TryParse(CsvField.Get(fields, roleAt), out var role))
        {
            return Failure.Invalid("unknown-role", $"The role must be one of: {string.Join(", ", StaffRoles.All.Select(StaffRoles.Code))}.");
        }

        if (!TryParseScope(CsvField.Get(fields, scopeAt), out var scopeType, out var scopeCode))
        {
            return Failure.Invalid("invalid-scope", "The scope must be national, region:CODE or organisation:CODE (an ODS code).");
        }

        var grant = new Grant(role, scopeType, scopeCode);
        if (StaffPermissions.CheckShape(grant) is { } shape)
        {
            return shape;
        }

        var existing = await directory.FindByEmailAsync(normalised, cancellationToken);
        if (existing is not null)
        {
            var added = await manage.GrantAsync(null, actor, existing.Id, grant, cancellationToken);
            return added.Succeeded ? (added.Value ? RowOutcome.Granted : RowOutcome.Unchanged) : added.Failure!;
        }

        var created = await manage.CreateAsync(null, actor, normalised, CsvField.Get(fields, nameAt), grant, setPassword: false, cancellationToken: cancellationToken);
        return created.Succeeded ? RowOutcome.Created : created.Failure!;
    }

    private static bool TryParseScope(string? text, out ScopeType type, out string code)
    {
        code = "";
        type = ScopeType.National;
        if (text is null)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            if (StaffRoles.TryParseScope(text, out type) && type == ScopeType.National)
            {
                return true;
            }

            type = ScopeType.Organisation;
            return StaffRoles.TryParseOdsCode(text, out code!);
        }

        if (!StaffRoles.TryParseScope(text[..colon], out type) || type == ScopeType.National)
        {
            return false;
        }

        return StaffRoles.TryParseOdsCode(text[(colon + 1)..], out code!);
    }

    private enum RowOutcome
    {
        Created,
        Granted,
        Unchanged,
    }
}
