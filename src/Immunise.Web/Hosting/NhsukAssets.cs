using Microsoft.Extensions.FileProviders;

namespace Immunise.Web.Hosting;

/// <summary>
/// nhsuk-frontend's stylesheet refers to its icons as <c>/assets/images/…</c>; serve the copy the build puts in
/// <c>wwwroot/lib/nhsuk-frontend/assets</c> at that path.
/// </summary>
public static class NhsukAssets
{
    public static StaticFileOptions Options(IWebHostEnvironment environment)
    {
        var folder = Path.Combine(environment.WebRootPath ?? Path.Combine(environment.ContentRootPath, "wwwroot"), "lib", "nhsuk-frontend", "assets");
        Directory.CreateDirectory(folder);
        return new StaticFileOptions { RequestPath = "/assets", FileProvider = new PhysicalFileProvider(folder) };
    }
}
