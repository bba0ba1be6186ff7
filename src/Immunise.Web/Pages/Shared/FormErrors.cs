namespace Immunise.Web.Pages.Shared;

/// <summary>
/// A form's errors in the order its fields appear: the error summary lists them (each linking to its field's id) and each
/// field shows its own message beside it, as the GOV.UK and NHS design systems do.
/// </summary>
public sealed class FormErrors
{
    private readonly List<(string FieldId, string Message)> _errors = [];

    public bool Any => _errors.Count > 0;

    public IReadOnlyList<(string FieldId, string Message)> All => _errors;

    /// <summary>Adds an error for a field (the first error for a field wins).</summary>
    public void Add(string fieldId, string message)
    {
        if (!_errors.Exists(e => e.FieldId == fieldId))
        {
            _errors.Add((fieldId, message));
        }
    }

    public string? For(string fieldId) => _errors.Find(e => e.FieldId == fieldId).Message;
}
