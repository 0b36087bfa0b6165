using System.Net;

namespace ZeroPath.Cli;

/// <summary>Warnings about how the admin key travels.</summary>
public static class Transport
{
    /// <summary>A warning when the key would cross a network in clear: plain http:// to a host that is not this machine.</summary>
    public static string? ClearTextWarning(Uri url)
    {
        if (!string.Equals(url.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase) || IsLoopback(url))
        {
            return null;
        }

        return $"zpctl: warning: {TerminalText.Escape(url.GetLeftPart(UriPartial.Authority))} is plain http:// to another host: " +
            "the admin key and every answer cross the network unencrypted. Use https:// (ZeroPath:Admin:Tls on the silo).";
    }

    public static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.IdnHost, out var address) && IPAddress.IsLoopback(address));
}
