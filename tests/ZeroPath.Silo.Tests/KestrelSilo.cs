using System.Globalization;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests;

/// <summary>The silo host on the real Kestrel server, on a free loopback port: for what TestServer cannot show (TLS, real HTTP).</summary>
public sealed class KestrelSilo : IDisposable
{
    private KestrelSilo(SiloFactory factory, Uri address)
    {
        Factory = factory;
        Address = address;
    }

    public SiloFactory Factory { get; }

    public Uri Address { get; }

    /// <summary>Starts a silo listening on <c>scheme://127.0.0.1:port</c> with the given settings over the test defaults.</summary>
    public static KestrelSilo Start(string scheme = "http", IReadOnlyDictionary<string, string?>? settings = null, string? nextKey = null)
    {
        var address = new Uri($"{scheme}://127.0.0.1:{FreeTcpPort.Next().ToString(CultureInfo.InvariantCulture)}");
        var overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Urls"] = address.ToString().TrimEnd('/') };
        var factory = new SiloFactory { Overrides = overrides, NextKey = nextKey };
        try
        {
            factory.UseKestrel();
            factory.StartServer();
            return new KestrelSilo(factory, address);
        }
        catch
        {
            factory.Dispose();
            throw;
        }
    }

    public void Dispose() => Factory.Dispose();
}
