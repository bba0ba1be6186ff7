using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.DataProtection;

namespace Immunise.Web.Pages.Manage;

/// <summary>
/// The appointment a citizen is managing, once they have proved it is theirs (reference and date of birth), kept in a
/// protected cookie so neither appears in a URL.
/// </summary>
public sealed record ManageState(string Reference, DateOnly DateOfBirth, DateOnly? NewDay = null, string? Notice = null);

public sealed class ManageStateStore(IDataProtectionProvider protection, TimeProvider clock)
{
    private readonly ProtectedState<ManageState> _state = new(protection, clock, "immunise-manage");

    public ManageState? Read(HttpContext context) => _state.Read(context);

    public void Write(HttpContext context, ManageState state) => _state.Write(context, state);

    public void Clear(HttpContext context) => _state.Clear(context);
}
