using ZeroPath.Bench.Edge;

namespace ZeroPath.Bench.Edge.Tests;

public class TimingReportTests
{
    private static readonly string Section = $"{TimingReport.Begin}\n## Refusal timing\n\nnew figures\n\n{TimingReport.End}\n\n";

    [Fact]
    public void The_section_replaces_the_previous_one_and_leaves_the_rest()
    {
        var report = $"# Edge benchmarks\n\n## (i): cold\n\ntext\n\n{TimingReport.Begin}\n## Refusal timing\n\nold figures\n\n{TimingReport.End}\n\n## Commands\n\nx\n";

        var spliced = TimingReport.Splice(report, Section);

        Assert.Equal($"# Edge benchmarks\n\n## (i): cold\n\ntext\n\n{Section}## Commands\n\nx\n", spliced);
        Assert.DoesNotContain("old figures", spliced, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_previous_section_it_goes_before_the_commands()
    {
        var spliced = TimingReport.Splice("# Edge benchmarks\n\n## (i): cold\n\ntext\n\n## Commands\n\nx\n", Section);

        Assert.Equal($"# Edge benchmarks\n\n## (i): cold\n\ntext\n\n{Section}## Commands\n\nx\n", spliced);
    }

    [Fact]
    public void Without_commands_it_goes_at_the_end()
    {
        var spliced = TimingReport.Splice("# Edge benchmarks\n\ntext\n", Section);

        Assert.Equal($"# Edge benchmarks\n\ntext\n\n{Section}", spliced);
    }

    [Fact]
    public void Splicing_twice_gives_the_same_report()
    {
        var once = TimingReport.Splice("# Edge benchmarks\n\n## Commands\n\nx\n", Section);

        Assert.Equal(once, TimingReport.Splice(once, Section));
    }
}
