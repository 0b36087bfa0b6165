using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace ZeroPath.Gateway.Tests.Fuzzing;

/// <summary>An HTTP/1.1 answer read off a socket.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// Sends a request as raw bytes over a socket (one connection each), so header values HttpClient would refuse to send
/// (control characters, bytes above 0x7F) reach Kestrel as a client could send them.
/// </summary>
public static class RawHttpClient
{
    /// <summary>Header values are written as Latin-1 where they fit, UTF-8 bytes otherwise.</summary>
    public static async Task<RawResponse> SendAsync(Uri server, FuzzRequest request, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream();
        Write(stream, $"{request.Method} {request.Path} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\nContent-Length: 0\r\n");
        foreach (var (name, value) in request.Headers)
        {
            Write(stream, name + ": ");
            var bytes = value.All(c => c <= '\u00ff') ? Encoding.Latin1.GetBytes(value) : Encoding.UTF8.GetBytes(value);
            stream.Write(bytes);
            Write(stream, "\r\n");
        }

        Write(stream, "\r\n");
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cancellationToken);
        await using var network = client.GetStream();
        try
        {
            await network.WriteAsync(stream.ToArray(), cancellationToken);
        }
        catch (IOException)
        {
            // Kestrel may answer and close before it has read a request it rejects (a header too large); read its answer.
        }

        using var received = new MemoryStream();
        try
        {
            await network.CopyToAsync(received, cancellationToken);
        }
        catch (IOException) when (received.Length > 0)
        {
            // Reset after the answer was sent: what arrived is the answer.
        }

        return Parse(received.ToArray());
    }

    private static void Write(Stream stream, string ascii) => stream.Write(Encoding.Latin1.GetBytes(ascii));

    private static RawResponse Parse(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            throw new InvalidOperationException($"No complete HTTP answer ({bytes.Length} bytes): {text}");
        }

        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var before) ? before + ", " + value : value;
        }

        var body = text[(end + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return new RawResponse(status, headers, Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(body)));
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(chunked[at..lineEnd].Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
