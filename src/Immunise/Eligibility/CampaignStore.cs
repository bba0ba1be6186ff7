using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Immunise.Storage;

namespace Immunise.Eligibility;

/// <summary>The campaign configs and consumer mappings in force: the latest version of each.</summary>
public sealed record EligibilityConfiguration(IReadOnlyList<CampaignConfig> Campaigns, ConsumerMapping Consumers)
{
    public static readonly EligibilityConfiguration Empty = new([], new ConsumerMapping(new Dictionary<string, IReadOnlySet<string>>()));
}

/// <summary>One stored version of a config.</summary>
public sealed record StoredConfig(string Kind, string Id, int Version, string Source, DateTimeOffset LoadedAt, string LoadedBy);

/// <summary>What a load did: per file, the id it holds, the version now in force and whether it was new.</summary>
public sealed record ConfigLoadResult(IReadOnlyList<ConfigLoadItem> Items, IReadOnlyList<string> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

public sealed record ConfigLoadItem(string Source, string Kind, string Id, int Version, bool Added);

/// <summary>
/// Campaign configs in NHS England's format, kept in the database with every version. A load validates every file first
/// and stores nothing if any is refused; a file whose content is unchanged adds no version. Every node reads the latest
/// versions, cached for a few seconds, so a load on one node is in force everywhere shortly after.
/// </summary>
public sealed class CampaignStore(Database database, TimeProvider clock)
{
    public const string CampaignKind = "campaign";
    public const string ConsumerMappingsKind = "consumer-mappings";
    private static readonly TimeSpan s_cacheFor = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (EligibilityConfiguration Configuration, DateTimeOffset Until)? _cached;

    /// <summary>Validates and stores configs; <paramref name="files"/> are (source name, JSON text).</summary>
    public async Task<ConfigLoadResult> LoadAsync(IReadOnlyList<(string Source, string Json)> files, string loadedBy, CancellationToken cancellationToken = default)
    {
        var parsed = new List<(string Source, string Kind, string Id, string Json)>();
        var errors = new List<string>();
        foreach (var (source, json) in files)
        {
            if (IsConsumerMapping(json))
            {
                try
                {
                    ConsumerMapping.Parse(json, source);
                    parsed.Add((source, ConsumerMappingsKind, Path.GetFileNameWithoutExtension(source), json));
                }
                catch (CampaignConfigException e)
                {
                    errors.Add(e.Message);
                }
            }
            else if (CampaignConfigLoader.TryParse(json, source, out var config, out var error))
            {
                parsed.Add((source, CampaignKind, StoredId(config!), json));
            }
            else
            {
                errors.Add(error ?? $"{source}: not a campaign config");
            }
        }

        foreach (var duplicate in parsed.Where(p => p.Kind == ConsumerMappingsKind).GroupBy(p => p.Id).Where(g => g.Count() > 1))
        {
            errors.Add($"{string.Join(", ", duplicate.Select(d => d.Source))}: the same {ConsumerMappingsKind} id '{duplicate.Key}' in more than one file");
        }

        if (errors.Count > 0)
        {
            return new ConfigLoadResult([], errors);
        }

        var items = new List<ConfigLoadItem>();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var group in parsed.GroupBy(p => (p.Kind, p.Id)))
        {
            // Configs of one ID and target loaded together are stored as one version: a JSON array of them, in file order.
            var (kind, id) = group.Key;
            var together = group.ToList();
            var source = string.Join(", ", together.Select(f => Path.GetFileName(f.Source)));
            var json = together.Count == 1 ? together[0].Json : $"[{string.Join(",", together.Select(f => f.Json))}]";
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
            var latest = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
                "SELECT version, sha256 FROM eligibility_configs WHERE kind = @kind AND id = @id ORDER BY version DESC LIMIT 1",
                new { kind, id }, transaction, cancellationToken: cancellationToken));
            if (latest is not null && latest.Sha256 == hash)
            {
                items.AddRange(together.Select(f => new ConfigLoadItem(f.Source, kind, id, latest.Version, Added: false)));
                continue;
            }

            var version = (latest?.Version ?? 0) + 1;
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO eligibility_configs (kind, id, version, content, sha256, source, loaded_at, loaded_by)
                VALUES (@kind, @id, @version, @json, @hash, @source, @now, @loadedBy)
                """,
                new { kind, id, version, json, hash, source, now = clock.GetUtcNow(), loadedBy },
                transaction, cancellationToken: cancellationToken));
            items.AddRange(together.Select(f => new ConfigLoadItem(f.Source, kind, id, version, Added: true)));
        }

        await transaction.CommitAsync(cancellationToken);
        _cached = null;
        return new ConfigLoadResult(items, []);
    }

    /// <summary>
    /// A campaign is stored under its ID and target (<c>ID/TARGET</c>): NHS England's configs may share an ID across
    /// targets (one config per vaccine), and a new version of a config replaces only the one for its target. NHS England
    /// applies every file as a campaign of its own, even when two share an ID and target; such files loaded together are
    /// one version here (stored as a JSON array), each applied as its own campaign, and the next load of that ID and
    /// target replaces them all.
    /// </summary>
    public static string StoredId(CampaignConfig config) => $"{config.Id}/{config.Target}";

    /// <summary>Every stored version, newest first within each config.</summary>
    public async Task<IReadOnlyList<StoredConfig>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ConfigRow>(new CommandDefinition(
            "SELECT kind, id, version, source, loaded_at, loaded_by FROM eligibility_configs ORDER BY kind, id, version DESC",
            cancellationToken: cancellationToken));
        return rows.Select(r => new StoredConfig(r.Kind, r.Id, r.Version, r.Source, r.LoadedAt, r.LoadedBy)).ToList();
    }

    /// <summary>The JSON of one stored version (the latest when <paramref name="version"/> is null).</summary>
    public async Task<string?> ContentAsync(string kind, string id, int? version, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var which = version is null ? "" : " AND version = @version";
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            $"SELECT content FROM eligibility_configs WHERE kind = @kind AND id = @id{which} ORDER BY version DESC LIMIT 1",
            new { kind, id, version = version ?? 0 }, cancellationToken: cancellationToken));
    }

    /// <summary>The latest version of every config, parsed; cached for a few seconds.</summary>
    public async Task<EligibilityConfiguration> CurrentAsync(CancellationToken cancellationToken = default)
    {
        if (_cached is { } cached && cached.Until > clock.GetUtcNow())
        {
            return cached.Configuration;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_cached is { } again && again.Until > clock.GetUtcNow())
            {
                return again.Configuration;
            }

            var configuration = await ReadAsync(cancellationToken);
            _cached = (configuration, clock.GetUtcNow() + s_cacheFor);
            return configuration;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<EligibilityConfiguration> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Kind, string Id, string Content)>(new CommandDefinition(
            """
            SELECT c.kind, c.id, c.content FROM eligibility_configs c
            WHERE c.version = (SELECT MAX(v.version) FROM eligibility_configs v WHERE v.kind = c.kind AND v.id = c.id)
            ORDER BY c.kind, c.id
            """,
            cancellationToken: cancellationToken));
        var campaigns = new List<CampaignConfig>();
        var consumers = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var (kind, id, content) in rows)
        {
            if (kind == CampaignKind)
            {
                campaigns.AddRange(Configs(content).Select(json => CampaignConfigLoader.Parse(json, id)));
                continue;
            }

            foreach (var (consumer, ids) in ConsumerMapping.Parse(content, id).CampaignsByConsumer)
            {
                consumers[consumer] = consumers.TryGetValue(consumer, out var existing) ? existing.Union(ids).ToHashSet(StringComparer.Ordinal) : ids;
            }
        }

        return new EligibilityConfiguration(campaigns, new ConsumerMapping(consumers));
    }

    /// <summary>The configs of one stored campaign version: the content itself, or each element of a stored array.</summary>
    private static IEnumerable<string> Configs(string content)
    {
        if (!content.TrimStart().StartsWith('['))
        {
            return [content];
        }

        using var document = JsonDocument.Parse(content);
        return document.RootElement.EnumerateArray().Select(e => e.GetRawText()).ToList();
    }

    /// <summary>A consumer mapping is an object of consumer ids; a campaign config has a <c>CampaignConfig</c> object.</summary>
    private static bool IsConsumerMapping(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && !document.RootElement.TryGetProperty("CampaignConfig", out _)
                && document.RootElement.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.Array);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Reads every <c>*.json</c> file under a folder (any depth) for <see cref="LoadAsync"/>.</summary>
    public static IReadOnlyList<(string Source, string Json)> ReadFolder(string directory) =>
        Directory.EnumerateFiles(directory, "*.json", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(directory, f), File.ReadAllText(f)))
            .ToList();

    private sealed class VersionRow
    {
        public int Version { get; set; }
        public string Sha256 { get; set; } = "";
    }

    private sealed class ConfigRow
    {
        public string Kind { get; set; } = "";
        public string Id { get; set; } = "";
        public int Version { get; set; }
        public string Source { get; set; } = "";
        public DateTimeOffset LoadedAt { get; set; }
        public string LoadedBy { get; set; } = "";
    }
}
