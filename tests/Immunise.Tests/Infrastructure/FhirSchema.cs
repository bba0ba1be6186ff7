using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Immunise.Tests.Infrastructure;

/// <summary>
/// Validates FHIR JSON against the official FHIR R4 JSON schema, using ajv under Node (tests/fhir-validation; ./test.sh
/// installs its npm packages, and this installs them too when they are missing).
/// </summary>
public static class FhirSchema
{
    private static readonly SemaphoreSlim s_install = new(1, 1);

    /// <summary>Returns, per resource, the schema errors (empty when valid).</summary>
    public static async Task<IReadOnlyList<IReadOnlyList<string>>> ValidateAsync(params JsonNode[] resources)
    {
        var folder = await EnsureInstalledAsync();
        var start = new ProcessStartInfo("node", "validate.mjs")
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(new JsonArray(resources.Select(r => r.DeepClone()).ToArray()).ToJsonString());
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"FHIR schema validation failed to run: {await error}");
        }

        using var results = JsonDocument.Parse(await output);
        return results.RootElement.EnumerateArray()
            .Select(r => (IReadOnlyList<string>)(r.GetProperty("valid").GetBoolean()
                ? []
                : r.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList()))
            .ToList();
    }

    /// <summary>Asserts that every resource is valid FHIR R4, showing the schema's errors when not.</summary>
    public static async Task AssertValidAsync(params JsonNode[] resources)
    {
        var results = await ValidateAsync(resources);
        for (var i = 0; i < results.Count; i++)
        {
            Assert.True(results[i].Count == 0, $"{resources[i]["resourceType"]} is not valid FHIR R4: {string.Join("; ", results[i])}");
        }
    }

    private static async Task<string> EnsureInstalledAsync()
    {
        var folder = FindFolder();
        await s_install.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(folder, "node_modules", "ajv")))
            {
                using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund --silent") { WorkingDirectory = folder })!;
                await npm.WaitForExitAsync();
                if (npm.ExitCode != 0)
                {
                    throw new InvalidOperationException("npm ci failed in tests/fhir-validation.");
                }
            }
        }
        finally
        {
            s_install.Release();
        }

        return folder;
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fhir-validation");
            if (File.Exists(Path.Combine(candidate, "validate.mjs")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/fhir-validation was not found above the test assembly.");
    }
}
