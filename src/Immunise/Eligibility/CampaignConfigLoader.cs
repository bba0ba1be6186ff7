using System.Globalization;
using System.Text.Json;

namespace Immunise.Eligibility;

/// <summary>A campaign config that cannot be used; the message names the source, the rule (where there is one) and the field.</summary>
public sealed class CampaignConfigException(string message) : Exception(message);

/// <summary>
/// Reads NHS England's campaign-config JSON (<c>{"CampaignConfig": {...}}</c>) into <see cref="CampaignConfig"/>, refusing
/// anything the engine could not evaluate: unknown rule types, levels or operators, missing fields, bad dates, overlapping
/// iterations. Unknown extra fields are ignored, as the format's producers add descriptive ones.
/// </summary>
public static class CampaignConfigLoader
{
    public static CampaignConfig LoadFile(string path) => Parse(File.ReadAllText(path), Path.GetFileName(path));

    /// <summary>
    /// Loads every <c>*.json</c> file directly in <paramref name="directory"/>, in name order. One refused file refuses the
    /// set (its message names it): serving with some of the campaigns silently missing would give wrong answers.
    /// </summary>
    public static IReadOnlyList<CampaignConfig> LoadDirectory(string directory)
    {
        var configs = Directory.EnumerateFiles(directory, "*.json", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .Select(LoadFile)
            .ToList();
        var clash = configs.GroupBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw new CampaignConfigException($"{directory}: {clash.Count()} campaign configs share the ID '{clash.Key}'");
        }

        return configs;
    }

    /// <summary>Parses one config; <paramref name="source"/> (usually the file name) appears in every error.</summary>
    public static CampaignConfig Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new CampaignConfigException($"{source}: not valid JSON ({e.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("CampaignConfig", out var campaign)
                || campaign.ValueKind != JsonValueKind.Object)
            {
                throw new CampaignConfigException($"{source}: field 'CampaignConfig' is missing or not an object");
            }

            return ReadCampaign(new Reader(source, "CampaignConfig"), campaign);
        }
    }

    /// <summary>Like <see cref="Parse"/>, but returns the refusal as a message instead of throwing.</summary>
    public static bool TryParse(string json, string source, out CampaignConfig? config, out string? error)
    {
        try
        {
            config = Parse(json, source);
            error = null;
            return true;
        }
        catch (CampaignConfigException e)
        {
            config = null;
            error = e.Message;
            return false;
        }
    }

    private static CampaignConfig ReadCampaign(Reader r, JsonElement e)
    {
        var id = r.RequiredString(e, "ID");
        var type = r.RequiredString(e, "Type");
        if (type is not ("V" or "S"))
        {
            throw r.Fail("Type", $"must be 'V' or 'S', not '{type}'");
        }

        var start = r.RequiredDate(e, "StartDate");
        var end = r.RequiredDate(e, "EndDate");
        if (start > end)
        {
            throw r.Fail("EndDate", $"is before StartDate ({end:yyyyMMdd} < {start:yyyyMMdd})");
        }

        var iterationTime = r.OptionalTime(e, "IterationTime") ?? TimeOnly.MinValue;
        if (!e.TryGetProperty("Iterations", out var iterationsElement) || iterationsElement.ValueKind != JsonValueKind.Array
            || iterationsElement.GetArrayLength() == 0)
        {
            throw r.Fail("Iterations", "is missing or has no iterations");
        }

        var iterations = new List<Iteration>();
        var index = 0;
        foreach (var item in iterationsElement.EnumerateArray())
        {
            iterations.Add(ReadIteration(r.Within($"Iterations[{index}]"), item, iterationTime));
            index++;
        }

        var clash = iterations.GroupBy(i => i.StartsAt).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw r.Fail("Iterations", $"{clash.Count()} iterations start at the same time ({clash.Key:yyyyMMdd HH:mm:ss}), so which is current is undefined");
        }

        return new CampaignConfig(
            id,
            r.RequiredInt(e, "Version"),
            r.RequiredString(e, "Name"),
            type,
            r.RequiredString(e, "Target").ToUpperInvariant(),
            r.RequiredString(e, "IterationFrequency"),
            r.RequiredString(e, "IterationType"),
            iterationTime,
            r.OptionalString(e, "DefaultCommsRouting"),
            start,
            end,
            iterations);
    }

    private static Iteration ReadIteration(Reader r, JsonElement e, TimeOnly campaignIterationTime)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw r.Fail(null, "is not an object");
        }

        var name = r.RequiredString(e, "Name");
        r = r.Within($"iteration '{name}'");
        var actions = new Dictionary<string, AvailableAction>(StringComparer.Ordinal);
        var mapper = r.RequiredObject(e, "ActionsMapper");
        foreach (var property in mapper.EnumerateObject())
        {
            var a = r.Within($"ActionsMapper.{property.Name}");
            if (property.Value.ValueKind != JsonValueKind.Object)
            {
                throw a.Fail(null, "is not an object");
            }

            actions[property.Name] = new AvailableAction(
                a.RequiredString(property.Value, "ActionType", allowEmpty: true),
                a.RequiredString(property.Value, "ExternalRoutingCode", allowEmpty: true),
                a.OptionalString(property.Value, "ActionDescription"),
                NormaliseUrl(a, a.OptionalString(property.Value, "UrlLink")),
                a.OptionalString(property.Value, "UrlLabel"));
        }

        var ruleNames = ReadRulesMapper(r, e);

        var cohorts = new List<IterationCohort>();
        foreach (var (item, i) in r.RequiredArray(e, "IterationCohorts").EnumerateArray().Select((x, i) => (x, i)))
        {
            var c = r.Within($"IterationCohorts[{i}]");
            var virtualText = c.OptionalString(item, "Virtual")?.Trim().ToUpperInvariant();
            if (virtualText is not (null or "" or "Y" or "N"))
            {
                throw c.Fail("Virtual", $"must be 'Y' or 'N', not '{virtualText}'");
            }

            // CohortGroup may be empty, as in NHS England's configs: such a cohort counts towards the status but, having no
            // description, is shown in no group.
            cohorts.Add(new IterationCohort(
                c.RequiredString(item, "CohortLabel"),
                c.RequiredString(item, "CohortGroup", allowEmpty: true),
                c.OptionalString(item, "PositiveDescription"),
                c.OptionalString(item, "NegativeDescription"),
                c.OptionalInt(item, "Priority") ?? 0,
                virtualText == "Y"));
        }

        var rules = new List<IterationRule>();
        foreach (var (item, i) in r.RequiredArray(e, "IterationRules").EnumerateArray().Select((x, i) => (x, i)))
        {
            rules.Add(ReadRule(r.Within($"IterationRules[{i}]"), item, ruleNames));
        }

        StatusTexts? statusTexts = null;
        if (e.TryGetProperty("StatusText", out var st) && st.ValueKind == JsonValueKind.Object)
        {
            var s = r.Within("StatusText");
            statusTexts = new StatusTexts(s.OptionalString(st, "NotEligible"), s.OptionalString(st, "NotActionable"), s.OptionalString(st, "Actionable"));
        }

        var date = r.RequiredDate(e, "IterationDate");
        var time = r.OptionalTime(e, "IterationTime");
        return new Iteration(
            r.RequiredString(e, "ID", allowEmpty: true),
            r.RequiredInt(e, "Version"),
            name,
            date,
            time,
            r.RequiredString(e, "Type"),
            r.RequiredString(e, "DefaultCommsRouting", allowEmpty: true),
            r.RequiredString(e, "DefaultNotEligibleRouting", allowEmpty: true),
            r.RequiredString(e, "DefaultNotActionableRouting", allowEmpty: true),
            cohorts,
            rules,
            actions,
            statusTexts,
            date.ToDateTime(time ?? campaignIterationTime));
    }

    private static Dictionary<string, (string? Code, string? Text)> ReadRulesMapper(Reader r, JsonElement e)
    {
        var byRuleName = new Dictionary<string, (string? Code, string? Text)>(StringComparer.Ordinal);
        if (!e.TryGetProperty("RulesMapper", out var mapper) || mapper.ValueKind == JsonValueKind.Null)
        {
            return byRuleName;
        }

        if (mapper.ValueKind != JsonValueKind.Object)
        {
            throw r.Fail("RulesMapper", "is not an object");
        }

        foreach (var entry in mapper.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var m = r.Within($"RulesMapper.{entry.Name}");
            var names = m.RequiredArray(entry.Value, "RuleNames");
            var code = m.OptionalString(entry.Value, "RuleCode");
            var text = m.OptionalString(entry.Value, "RuleText");
            foreach (var n in names.EnumerateArray())
            {
                if (n.ValueKind != JsonValueKind.String)
                {
                    throw m.Fail("RuleNames", "must hold strings");
                }

                byRuleName[n.GetString() ?? ""] = (code, text);
            }
        }

        return byRuleName;
    }

    private static IterationRule ReadRule(Reader r, JsonElement e, Dictionary<string, (string? Code, string? Text)> ruleNames)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw r.Fail(null, "is not an object");
        }

        var name = r.RequiredString(e, "Name");
        r = r.Within($"rule '{name}'");
        var typeText = r.RequiredString(e, "Type");
        var type = typeText switch
        {
            "F" => RuleType.Filter,
            "S" => RuleType.Suppression,
            "R" => RuleType.Redirect,
            "X" => RuleType.NotEligibleActions,
            "Y" => RuleType.NotActionableActions,
            _ => throw r.Fail("Type", $"unknown rule type '{typeText}' (expected F, S, R, X or Y)"),
        };
        var levelText = r.RequiredString(e, "AttributeLevel");
        var level = levelText switch
        {
            "PERSON" => AttributeLevel.Person,
            "COHORT" => AttributeLevel.Cohort,
            "TARGET" => AttributeLevel.Target,
            _ => throw r.Fail("AttributeLevel", $"unknown attribute level '{levelText}' (expected PERSON, COHORT or TARGET)"),
        };
        var attributeName = r.OptionalString(e, "AttributeName");
        var attributeTarget = r.OptionalString(e, "AttributeTarget");
        if (level != AttributeLevel.Cohort && string.IsNullOrEmpty(attributeName))
        {
            throw r.Fail("AttributeName", "is required for PERSON and TARGET rules");
        }

        if (level == AttributeLevel.Target && string.IsNullOrEmpty(attributeTarget))
        {
            throw r.Fail("AttributeTarget", "is required for TARGET rules");
        }

        var op = r.RequiredString(e, "Operator");
        var comparator = r.RequiredString(e, "Comparator", allowEmpty: true);
        var condition = RuleCondition.TryParse(op, comparator, out var error) ?? throw r.Fail("Operator", error ?? "not understood");
        var description = r.RequiredString(e, "Description", allowEmpty: true);
        var code = r.OptionalString(e, "Code");
        ruleNames.TryGetValue(name, out var mapped);
        var labels = (r.OptionalString(e, "CohortLabel") ?? "")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        bool ruleStop = false;
        if (e.TryGetProperty("RuleStop", out var stop))
        {
            ruleStop = stop.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False or JsonValueKind.Null => false,
                JsonValueKind.String => string.Equals(stop.GetString(), "Y", StringComparison.OrdinalIgnoreCase),
                _ => throw r.Fail("RuleStop", "must be 'Y', 'N' or a boolean"),
            };
        }

        return new IterationRule(
            type,
            name,
            NonEmpty(mapped.Code) ?? NonEmpty(code) ?? name,
            NonEmpty(mapped.Text) ?? description,
            r.RequiredInt(e, "Priority"),
            level,
            attributeName,
            attributeTarget?.ToUpperInvariant(),
            labels,
            condition,
            ruleStop,
            r.OptionalString(e, "CommsRouting"));
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>
    /// Links are absolute http(s) URLs, written in normal form (a bare host gains its trailing slash), or paths on this
    /// service starting with a single <c>/</c>.
    /// </summary>
    private static string? NormaliseUrl(Reader r, string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        if (url.Contains("[[", StringComparison.Ordinal))
        {
            return url; // carries a personalisation token; normalised after substitution is not needed
        }

        var trimmed = url.Trim();
        if (trimmed.StartsWith('/') && !trimmed.StartsWith("//", StringComparison.Ordinal) && Uri.IsWellFormedUriString(trimmed, UriKind.Relative))
        {
            return trimmed; // a page of this service, such as its booking pages
        }

        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw r.Fail("UrlLink", $"'{url}' is neither an absolute http(s) URL nor a path on this service");
        }

        return uri.AbsoluteUri;
    }

    /// <summary>Reads fields, naming the source and the path to the object in every failure.</summary>
    private readonly record struct Reader(string Source, string Path)
    {
        public Reader Within(string segment) => new(Source, $"{Path} > {segment}");

        public CampaignConfigException Fail(string? field, string problem) =>
            new(field is null ? $"{Source}: {Path}: {problem}" : $"{Source}: {Path}: field '{field}' {problem}");

        public string RequiredString(JsonElement e, string field, bool allowEmpty = false)
        {
            if (!e.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                throw Fail(field, "is missing");
            }

            var s = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString() ?? "",
                JsonValueKind.Number => v.GetRawText(),
                _ => throw Fail(field, "must be a string"),
            };
            if (!allowEmpty && string.IsNullOrWhiteSpace(s))
            {
                throw Fail(field, "is empty");
            }

            return s;
        }

        public string? OptionalString(JsonElement e, string field)
        {
            if (!e.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                _ => throw Fail(field, "must be a string"),
            };
        }

        public int RequiredInt(JsonElement e, string field) => OptionalInt(e, field) ?? throw Fail(field, "is missing");

        public int? OptionalInt(JsonElement e, string field)
        {
            if (!e.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n))
            {
                return n;
            }

            if (v.ValueKind == JsonValueKind.String && int.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n))
            {
                return n;
            }

            throw Fail(field, "must be a whole number");
        }

        public DateOnly RequiredDate(JsonElement e, string field)
        {
            var s = RequiredString(e, field);
            if (s.Length != 8 || !DateOnly.TryParseExact(s, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                throw Fail(field, $"must be a date as YYYYMMDD, not '{s}'");
            }

            return d;
        }

        public TimeOnly? OptionalTime(JsonElement e, string field)
        {
            var s = OptionalString(e, field);
            if (string.IsNullOrWhiteSpace(s))
            {
                return null;
            }

            if (!TimeOnly.TryParseExact(s.Trim(), "HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
            {
                throw Fail(field, $"must be a time as HH:MM:SS, not '{s}'");
            }

            return t;
        }

        public JsonElement RequiredObject(JsonElement e, string field)
        {
            if (!e.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Object)
            {
                throw Fail(field, "is missing or not an object");
            }

            return v;
        }

        public JsonElement RequiredArray(JsonElement e, string field)
        {
            if (!e.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Array)
            {
                throw Fail(field, "is missing or not a list");
            }

            return v;
        }
    }
}

/// <summary>Which campaign configs each consumer (keyed by its <c>NHSE-Product-ID</c>) may see.</summary>
public sealed record ConsumerMapping(IReadOnlyDictionary<string, IReadOnlySet<string>> CampaignsByConsumer)
{
    public IReadOnlySet<string> CampaignsFor(string consumerId) =>
        CampaignsByConsumer.TryGetValue(consumerId, out var ids) ? ids : new HashSet<string>();

    public static ConsumerMapping Parse(string json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var map = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
            foreach (var consumer in document.RootElement.EnumerateObject())
            {
                var ids = new HashSet<string>(StringComparer.Ordinal);
                foreach (var entry in consumer.Value.EnumerateArray())
                {
                    var id = entry.GetProperty("CampaignConfigID").GetString();
                    if (string.IsNullOrEmpty(id))
                    {
                        throw new CampaignConfigException($"{source}: consumer '{consumer.Name}': field 'CampaignConfigID' is empty");
                    }

                    ids.Add(id);
                }

                map[consumer.Name] = ids;
            }

            return new ConsumerMapping(map);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new CampaignConfigException($"{source}: not a consumer mapping ({e.Message})");
        }
    }
}
