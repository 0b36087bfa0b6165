using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ZeroPath.Testing;

/// <summary>
/// deploy/grafana: the dashboard and the checked-in list of the metric names the silo and the gateway export on their
/// scrape endpoints (series names as scraped: histograms as <c>_bucket</c>, <c>_sum</c>, <c>_count</c>).
/// </summary>
public static partial class GrafanaDashboard
{
    public static string DashboardPath { get; } = Path.Combine(TestServers.RepositoryRoot(), "deploy", "grafana", "zeropath-orleans.json");

    public static string ExportedNamesPath { get; } = Path.Combine(TestServers.RepositoryRoot(), "deploy", "grafana", "exported-metrics.txt");

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan",
    };

    public static JsonObject Load() => JsonNode.Parse(File.ReadAllText(DashboardPath))!.AsObject();

    /// <summary>The names in the list, one a line; blank lines and <c>#</c> comments skipped.</summary>
    public static IReadOnlyList<string> ExportedNames() =>
        [.. File.ReadAllLines(ExportedNamesPath).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    /// <summary>Every panel, rows' collapsed children included.</summary>
    public static IEnumerable<JsonObject> Panels(JsonObject dashboard)
    {
        foreach (var panel in dashboard["panels"]!.AsArray().Select(p => p!.AsObject()))
        {
            yield return panel;
            if (panel["panels"] is JsonArray children)
            {
                foreach (var child in children.Select(c => c!.AsObject()))
                {
                    yield return child;
                }
            }
        }
    }

    /// <summary>The PromQL of every target of every panel.</summary>
    public static IEnumerable<string> Expressions(JsonObject dashboard) =>
        Panels(dashboard).Where(p => p["targets"] is JsonArray).SelectMany(p => p["targets"]!.AsArray())
            .Select(t => t!["expr"]?.GetValue<string>()).OfType<string>();

    /// <summary>Every metric name the dashboard's PromQL reads.</summary>
    public static SortedSet<string> MetricNames(JsonObject dashboard) =>
        new(Expressions(dashboard).SelectMany(MetricNames), StringComparer.Ordinal);

    /// <summary>
    /// The metric names in one PromQL expression: what is left once label matchers, grouping clauses, ranges, strings,
    /// numbers, Grafana variables, function names and keywords are taken out.
    /// </summary>
    public static IEnumerable<string> MetricNames(string expression)
    {
        var stripped = StringLiteral().Replace(expression, " ");
        stripped = Braces().Replace(stripped, " ");
        stripped = Brackets().Replace(stripped, " ");
        stripped = Grouping().Replace(stripped, " ");
        stripped = Variable().Replace(stripped, " ");
        foreach (Match match in Identifier().Matches(stripped))
        {
            var name = match.Groups["name"].Value;
            if (match.Groups["call"].Success || Keywords.Contains(name.ToLowerInvariant()))
            {
                continue;
            }

            yield return name;
        }
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\$\{?\w+\}?")]
    private static partial Regex Variable();

    [GeneratedRegex(@"(?<![\w.])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();
}
