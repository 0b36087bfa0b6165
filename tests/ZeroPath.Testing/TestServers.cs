namespace ZeroPath.Testing;

/// <summary>
/// The real Redis and Azurite the integration tests use. <c>./test.sh</c> starts one of each and passes them in
/// <c>ZP_TEST_REDIS</c> / <c>ZP_TEST_STORAGE</c>; without those, the first test to ask starts private ones for the
/// test process. Fault tests that stop a server start their own with <see cref="StartRedisAsync"/> and
/// <see cref="StartAzuriteAsync"/>.
/// </summary>
public static class TestServers
{
    private static readonly Lazy<Task<string>> SharedRedis = new(() => FromEnvironmentOr("ZP_TEST_REDIS", async () => RedisConnection(await StartRedisAsync())));
    private static readonly Lazy<Task<string>> SharedStorage = new(() => FromEnvironmentOr("ZP_TEST_STORAGE", async () => StorageConnection(await StartAzuriteAsync())));

    public static Task<string> RedisAsync() => SharedRedis.Value;

    public static Task<string> StorageAsync() => SharedStorage.Value;

    public static string RedisConnection(ExternalServer redis) => $"127.0.0.1:{redis.Port},abortConnect=false";

    /// <summary>The Azurite well-known development account, on the given table port.</summary>
    public static string StorageConnection(ExternalServer azurite) => StorageConnection(azurite.Port);

    public static string StorageConnection(int tablePort) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";

    /// <summary>
    /// redis-server as <c>./run.sh</c> runs it: append-only file fsynced before every reply (<c>appendfsync always</c>),
    /// so a restart, even after kill -9, keeps membership and every acknowledged write. The settings and a password go
    /// into a mode-600 <c>redis.conf</c> in its data folder, not on its command line.
    /// </summary>
    /// <param name="port">The port; a free one by default.</param>
    /// <param name="dataDirectory">Where it keeps its append-only file; a new temporary folder by default.</param>
    /// <param name="arguments">More redis-server arguments, given the port (e.g. TLS); they override the config file.</param>
    /// <param name="password">A <c>requirepass</c> password; none by default.</param>
    public static Task<ExternalServer> StartRedisAsync(int? port = null, string? dataDirectory = null, Func<int, IEnumerable<string>>? arguments = null, string? password = null)
    {
        var data = dataDirectory ?? Directory.CreateTempSubdirectory("zeropath-server-").FullName;
        var configuration = Path.Combine(data, "redis.conf");
        // Mode 600 from its creation: the password is never readable by anyone else, not even briefly.
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new StreamWriter(configuration, create))
        {
            file.Write("appendonly yes\nappendfsync always\nsave \"\"\n" + (password is null ? "" : $"requirepass {password}\n"));
        }

        return ExternalServer.StartAsync(
            "redis-server",
            (p, dir) => [
                configuration, "--port", p.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", dir,
                .. arguments?.Invoke(p) ?? []],
            port,
            data);
    }

    /// <summary>Azurite's table service (the only one Orleans uses here), data in its folder.</summary>
    public static Task<ExternalServer> StartAzuriteAsync(int? port = null, string? dataDirectory = null) =>
        ExternalServer.StartAsync(
            Path.Combine(RepositoryRoot(), "tools", "servers", "node_modules", ".bin", "azurite-table"),
            (p, data) => ["--tableHost", "127.0.0.1", "--tablePort", p.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", data, "--skipApiVersionCheck", "--silent", "--disableTelemetry"],
            port,
            dataDirectory);

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ZeroPath.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ZeroPath.Orleans.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<string> FromEnvironmentOr(string variable, Func<Task<string>> start) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : await start();
}
