namespace Immunise.Tests.Infrastructure;

/// <summary>
/// Finds the project's shared reference data (<c>../shared/data</c> beside the repository), which tests read where it is
/// and never copy into the repository.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string> s_root = new(Find);

    public static string Root => s_root.Value;

    public static string PathTo(string relative) => Path.Combine(Root, relative);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("The shared reference data (../shared/data beside the repository) was not found.");
    }
}
