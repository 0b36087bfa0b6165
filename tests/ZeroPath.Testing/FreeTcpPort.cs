using System.Net;
using System.Net.Sockets;

namespace ZeroPath.Testing;

public static class FreeTcpPort
{
    /// <summary>A loopback port the OS just handed out, so parallel tests and runs do not collide.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
