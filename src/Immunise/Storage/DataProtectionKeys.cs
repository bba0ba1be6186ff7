using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Immunise.Storage;

/// <summary>
/// ASP.NET Core Data Protection's key ring kept in the database (<c>data_protection_keys</c>), so every node reads the
/// same keys: a sign-in cookie or antiforgery token made by one node is accepted by another (D10). The framework calls
/// these members synchronously and rarely (at start-up, when a key is created, and when it meets an unknown key).
/// The keys are stored as the framework writes them; protect the database (and its backups) as you would the keys.
/// </summary>
public sealed class DataProtectionKeys(Database database, TimeProvider clock) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() => GetAllAsync().GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) => StoreAsync(element, friendlyName).GetAwaiter().GetResult();

    private async Task<IReadOnlyCollection<XElement>> GetAllAsync()
    {
        await using var connection = await database.OpenSessionAsync();
        var rows = await connection.QueryAsync<string>("SELECT xml FROM data_protection_keys ORDER BY created_at, name");
        return rows.Select(x => XElement.Parse(x)).ToList();
    }

    private async Task StoreAsync(XElement element, string friendlyName)
    {
        await using var connection = await database.OpenSessionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @now) ON CONFLICT DO NOTHING",
            new { name = friendlyName, xml = element.ToString(SaveOptions.DisableFormatting), now = clock.GetUtcNow() });
    }
}
