using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Immunise.Web.Pages.Shared;

/// <summary>
/// A page with a form: its <see cref="Errors"/>, the page title (which the layout prefixes with "Error: " when there are
/// errors, so a screen reader hears first that the form came back) and its back link.
/// </summary>
public abstract class FormPage : PageModel
{
    public FormErrors Errors { get; } = new();

    /// <summary>The page's title, usually its h1 (or the legend that is its heading).</summary>
    public abstract string Title { get; }

    /// <summary>Where the back link goes; null shows none.</summary>
    public virtual string? BackLink => null;

    public override void OnPageHandlerExecuted(PageHandlerExecutedContext context)
    {
        ViewData["Title"] = Title;
        ViewData["HasErrors"] = Errors.Any;
        ViewData["BackLink"] = BackLink;
        base.OnPageHandlerExecuted(context);
    }
}
