using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Deploy;

/// <summary>
/// The Dockerfiles, checked without a container engine against what MSBuild says about the same projects: the final
/// stage runs the dll the project publishes, as the non-root user and on the base image the SDK's own container
/// settings choose, and every file the build copies exists and every referenced project is copied.
/// </summary>
public class DockerfileTests
{
    public static TheoryData<string, string> Images => new()
    {
        { "silo/Dockerfile", "silo/ZeroPath.Silo.csproj" },
        { "gateway/Dockerfile", "gateway/ZeroPath.Gateway.csproj" },
        { "cli/Dockerfile", "cli/ZeroPath.Cli.csproj" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public async Task The_final_stage_runs_the_published_dll_as_a_non_root_user_on_the_SDK_container_base(string dockerfile, string project)
    {
        var root = TestServers.RepositoryRoot();
        var stages = Parse(File.ReadAllText(Path.Combine(root, dockerfile)));
        var msbuild = await EvaluateAsync(root, project);
        Assert.True(stages.Count >= 2, "multi-stage: a build stage and a runtime stage");
        var final = stages[^1];

        // Same base image as dotnet publish -t:PublishContainer computes from ContainerFamily; never the SDK.
        Assert.Equal(msbuild["ContainerBaseImage"], final.Image);
        Assert.DoesNotContain("/sdk:", final.Image, StringComparison.Ordinal);

        // A numeric, non-zero user, so Kubernetes' runAsNonRoot can verify it; the same as ContainerUser.
        var user = Assert.Single(final.All("USER"));
        Assert.True(int.TryParse(user.Split(':')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) && uid > 0, $"USER {user} is not a numeric non-root user");
        Assert.Equal(msbuild["ContainerUser"], user);

        // Exec form: a JSON array, dotnet and the dll the project publishes (TargetFileName comes from AssemblyName).
        var entrypoint = JsonSerializer.Deserialize<string[]>(Assert.Single(final.All("ENTRYPOINT")));
        Assert.Equal(new[] { "dotnet", msbuild["TargetFileName"] }, entrypoint);

        // The publish output is what lands in the working directory the entry point is relative to.
        var build = stages.Single(s => s.Name == "build");
        var publish = Assert.Single(build.All("RUN"), r => r.StartsWith("dotnet publish ", StringComparison.Ordinal));
        Assert.Contains($" {project} ", publish, StringComparison.Ordinal);
        var output = publish.Split(' ')[Array.IndexOf(publish.Split(' '), "-o") + 1];
        Assert.Equal($"--from=build {output} .", Assert.Single(final.All("COPY")));
        Assert.Equal(output, Assert.Single(final.All("WORKDIR")));

        // Nothing secret set in a layer.
        foreach (var setting in stages.SelectMany(s => s.All("ENV").Concat(s.All("ARG"))))
        {
            Assert.DoesNotMatch("(?i)key|secret|password|pepper|connectionstring|token", setting);
        }
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void The_build_stage_restores_from_project_files_first_and_copies_every_referenced_project(string dockerfile, string project)
    {
        var root = TestServers.RepositoryRoot();
        var build = Parse(File.ReadAllText(Path.Combine(root, dockerfile))).Single(s => s.Name == "build");
        var copies = build.Instructions.Where(i => i.Op == "COPY").Select(i => i.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        foreach (var source in copies.SelectMany(c => c[..^1]))
        {
            Assert.True(File.Exists(Path.Combine(root, source)) || Directory.Exists(Path.Combine(root, source)), $"COPY source {source} does not exist");
        }

        var restore = build.Instructions.FindIndex(i => i.Op == "RUN" && i.Args == $"dotnet restore {project}");
        Assert.True(restore > 0, "restores the project in a RUN of its own");
        foreach (var referenced in Closure(root, project))
        {
            var directory = Path.GetDirectoryName(referenced)!.Replace('\\', '/');
            var csproj = build.Instructions.FindIndex(i => i.Op == "COPY" && i.Args == $"{referenced} {directory}/");
            var sources = build.Instructions.FindIndex(i => i.Op == "COPY" && i.Args == $"{directory}/ {directory}/");
            Assert.True(csproj >= 0 && csproj < restore, $"{referenced} is copied before the restore");
            Assert.True(sources > restore, $"{directory}/ is copied after the restore");
        }

        Assert.Contains(copies, c => c.Contains("Directory.Packages.props") && c.Contains("global.json") && c[^1] == "./");
    }

    [Fact]
    public void The_build_context_leaves_out_build_output_local_state_and_git()
    {
        var patterns = File.ReadAllLines(Path.Combine(TestServers.RepositoryRoot(), ".dockerignore"))
            .Select(l => l.Trim().TrimEnd('/')).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet();

        // bin/ and obj/ sit in every project folder: a bare "bin" would only match the root.
        Assert.Superset(new HashSet<string> { "**/bin", "**/obj", ".run", ".git", "**/node_modules", "**/TestResults", "bench/results" }, patterns);
        Assert.DoesNotContain(patterns, p => p.StartsWith('!'));
    }

    private static List<string> Closure(string root, string project)
    {
        var found = new List<string>();
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            if (found.Contains(current))
            {
                continue;
            }

            found.Add(current);
            var directory = Path.GetDirectoryName(current)!;
            foreach (var reference in XDocument.Load(Path.Combine(root, current)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(root, directory, reference.Attribute("Include")!.Value));
                pending.Push(Path.GetRelativePath(root, full).Replace('\\', '/'));
            }
        }

        return found;
    }

    private static async Task<Dictionary<string, string>> EvaluateAsync(string root, string project)
    {
        var start = new ProcessStartInfo("dotnet", ["msbuild", project, "-nologo", "-t:ComputeContainerBaseImage", "-getProperty:ContainerBaseImage", "-getProperty:ContainerUser", "-getProperty:TargetFileName"])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, await stdout + await stderr);
        using var json = JsonDocument.Parse(await stdout);
        return json.RootElement.GetProperty("Properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
    }

    private sealed record Instruction(string Op, string Args);

    private sealed record Stage(string Image, string? Name, List<Instruction> Instructions)
    {
        public IEnumerable<string> All(string op) => Instructions.Where(i => i.Op == op).Select(i => i.Args);
    }

    /// <summary>Instructions per stage: comments dropped, continuation lines joined, FROM flags skipped.</summary>
    private static List<Stage> Parse(string text)
    {
        var stages = new List<Stage>();
        var logical = new List<string>();
        var pending = "";
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#'))
            {
                continue;
            }

            pending += line.EndsWith('\\') ? line[..^1] : line;
            if (!line.EndsWith('\\'))
            {
                if (pending.Trim().Length > 0)
                {
                    logical.Add(System.Text.RegularExpressions.Regex.Replace(pending.Trim(), @"\s+", " "));
                }

                pending = "";
            }
        }

        foreach (var line in logical)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var op = line[..space].ToUpperInvariant();
            var args = line[(space + 1)..];
            if (op == "FROM")
            {
                var words = args.Split(' ').Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
                stages.Add(new Stage(words[0], words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null, []));
            }
            else
            {
                Assert.NotEmpty(stages);
                stages[^1].Instructions.Add(new Instruction(op, args));
            }
        }

        return stages;
    }
}
