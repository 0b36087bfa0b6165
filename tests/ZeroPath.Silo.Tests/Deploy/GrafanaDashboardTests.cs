using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Deploy;

/// <summary>
/// deploy/grafana/zeropath-orleans.json: it parses, every panel reads the chosen Prometheus data source, and every metric
/// its PromQL reads is in deploy/grafana/exported-metrics.txt (which MetricsScrapeTests checks against real processes).
/// </summary>
public class GrafanaDashboardTests
{
    private readonly JsonObject dashboard = GrafanaDashboard.Load();

    [Fact]
    public void The_dashboard_has_a_prometheus_data_source_variable_and_its_rows()
    {
        Assert.InRange(dashboard["schemaVersion"]!.GetValue<int>(), 36, 41);
        Assert.Equal("zeropath-orleans", dashboard["uid"]!.GetValue<string>());
        var variables = dashboard["templating"]!["list"]!.AsArray().Select(v => v!.AsObject()).ToList();
        var datasource = Assert.Single(variables, v => v["name"]!.GetValue<string>() == "datasource");
        Assert.Equal("datasource", datasource["type"]!.GetValue<string>());
        Assert.Equal("prometheus", datasource["query"]!.GetValue<string>());
        // Query variables read the same data source.
        Assert.All(variables.Where(v => v["type"]!.GetValue<string>() == "query"), v => Assert.Equal("${datasource}", v["datasource"]!["uid"]!.GetValue<string>()));

        var rows = GrafanaDashboard.Panels(dashboard).Where(p => p["type"]!.GetValue<string>() == "row").Select(p => p["title"]!.GetValue<string>());
        Assert.Equal(["Edge (gateways)", "Cluster (silos)", "Tokens and revocation", "Security", "Orleans", "Runtime"], rows);
    }

    [Fact]
    public void Every_panel_reads_the_data_source_variable_and_has_a_query()
    {
        var panels = GrafanaDashboard.Panels(dashboard).Where(p => p["type"]!.GetValue<string>() != "row").ToList();
        Assert.True(panels.Count >= 20, $"{panels.Count} panels");
        Assert.Equal(panels.Count, panels.Select(p => p["id"]!.GetValue<int>()).Distinct().Count());
        foreach (var panel in panels)
        {
            var title = panel["title"]!.GetValue<string>();
            Assert.True(panel["datasource"]?["uid"]?.GetValue<string>() == "${datasource}", $"{title}: no data source");
            var targets = panel["targets"]?.AsArray() ?? [];
            Assert.True(targets.Count > 0, $"{title}: no target");
            Assert.All(targets, t =>
            {
                Assert.False(string.IsNullOrWhiteSpace(t!["expr"]?.GetValue<string>()), $"{title}: empty query");
                Assert.Equal("${datasource}", t["datasource"]!["uid"]!.GetValue<string>());
                // Every query honours the namespace and job filters.
                Assert.Contains("namespace=~\"$namespace\",job=~\"$job\"", t["expr"]!.GetValue<string>(), StringComparison.Ordinal);
            });
            var grid = panel["gridPos"]!;
            Assert.InRange(grid["x"]!.GetValue<int>() + grid["w"]!.GetValue<int>(), 1, 24);
        }
    }

    [Fact]
    public void Every_metric_the_dashboard_reads_is_one_the_processes_export()
    {
        var exported = GrafanaDashboard.ExportedNames();
        Assert.Equal(exported.Count, exported.Distinct(StringComparer.Ordinal).Count());
        var used = GrafanaDashboard.MetricNames(dashboard);
        Assert.True(used.Count >= 30, string.Join(", ", used));
        Assert.All(used, name => Assert.Contains(name, exported));
    }

    [Fact]
    public void Every_project_metric_is_on_the_dashboard()
    {
        var used = GrafanaDashboard.MetricNames(dashboard).Select(Family).ToHashSet(StringComparer.Ordinal);
        var project = GrafanaDashboard.ExportedNames().Where(n => n.StartsWith("zeropath_", StringComparison.Ordinal)).Select(Family).Distinct().ToList();
        Assert.True(project.Count >= 17, string.Join(", ", project));
        Assert.All(project, family => Assert.Contains(family, used));
    }

    [Fact]
    public void Metric_names_are_read_out_of_promql_without_labels_functions_or_variables()
    {
        Assert.Equal(
            ["a_total", "b_bucket"],
            GrafanaDashboard.MetricNames(
                "sum by (le, zeropath_x) (rate(a_total{job=~\"$job\",r!=\"ok\"}[$__rate_interval])) / on(instance) group_left " +
                "histogram_quantile(0.99, sum without (pod) (increase(b_bucket{le=\"+Inf\"}[5m] offset 1h))) * 1e3 > bool 0.5"));
        Assert.Equal(["up"], GrafanaDashboard.MetricNames("up"));
        Assert.Empty(GrafanaDashboard.MetricNames("vector(1)"));
    }

    private static string Family(string name) => Regex.Replace(name, "_(bucket|sum|count)$", "");
}
