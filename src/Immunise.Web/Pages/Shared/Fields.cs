namespace Immunise.Web.Pages.Shared;

/// <summary>A text input with its label, hint and error (partial <c>_Input</c>).</summary>
public sealed record InputField(
    string Id,
    string Label,
    string? Value,
    string? Error,
    string? Hint = null,
    string Type = "text",
    string? Autocomplete = null,
    string WidthClass = "nhsuk-input--width-10",
    string? InputMode = null,
    bool LabelIsHeading = false,
    bool Spellcheck = true);

/// <summary>A date input (day, month, year) in a fieldset whose legend may be the page's heading (partial <c>_DateField</c>).</summary>
public sealed record DateField(string Id, string Legend, DateInput Value, string? Error, string? Hint = null, bool LegendIsHeading = false, bool Birthday = true);

public sealed record RadioItem(string Value, string Label, string? Hint = null);

/// <summary>Radios in a fieldset whose legend may be the page's heading (partial <c>_Radios</c>).</summary>
public sealed record RadiosField(string Name, string Legend, IReadOnlyList<RadioItem> Items, string? Selected, string? Error, string? Hint = null, bool LegendIsHeading = false)
{
    /// <summary>The id of the first radio: where the error summary's link goes.</summary>
    public string FirstId => Items.Count > 0 ? ItemId(0) : Name;

    public string ItemId(int index) => index == 0 ? Name : $"{Name}-{index + 1}";
}
