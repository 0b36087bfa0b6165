using System.Net;
using System.Net.Sockets;

namespace ZeroPath.Silo.Apis;

/// <summary>
/// Counts failed admin authentications per client address. An address with <c>MaxFailures</c> failures in a window
/// (which starts at its first failure and lasts <c>Window</c>) is locked until the window ends: every request from it
/// is refused without its key being checked, whatever key it sends. A success neither unlocks an address nor clears
/// its count. IPv6 addresses are counted per /64 (one host usually holds a whole /64); IPv4-mapped IPv6 addresses as
/// IPv4; a connection without an IP address (a Unix socket) as one shared "unknown" address.
/// Memory is bounded: at most <c>MaxTrackedAddresses</c> entries, kept in the order their windows began, so ended
/// windows are dropped from the front and, when the table is full of live windows, the oldest is forgotten.
/// </summary>
public sealed class FailedAuthenticationLimiter(FailedAuthenticationOptions options, TimeProvider clock)
{
    /// <summary>The key of the <see cref="TimeProvider"/> this limiter reads (the system clock unless a test replaces it).</summary>
    public const string ClockKey = "ZeroPath.Admin.FailedAuthentication";

    private readonly Dictionary<IPAddress, LinkedListNode<Entry>> entries = [];
    private readonly LinkedList<Entry> byWindowStart = new();
    private readonly Lock gate = new();

    public int TrackedAddresses
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>True, with how long until it unlocks, while <paramref name="address"/> is locked.</summary>
    public bool IsLocked(IPAddress? address, out TimeSpan retryAfter)
    {
        var key = Normalize(address);
        var now = clock.GetUtcNow();
        lock (gate)
        {
            if (entries.TryGetValue(key, out var node) && node.Value.Failures >= options.MaxFailures && now < node.Value.WindowEnd)
            {
                retryAfter = node.Value.WindowEnd - now;
                return true;
            }
        }

        retryAfter = TimeSpan.Zero;
        return false;
    }

    /// <summary>Counts one failure; true when this failure locks the address.</summary>
    public bool RecordFailure(IPAddress? address)
    {
        var key = Normalize(address);
        var now = clock.GetUtcNow();
        lock (gate)
        {
            if (entries.TryGetValue(key, out var node) && now < node.Value.WindowEnd)
            {
                node.Value.Failures++;
                return node.Value.Failures == options.MaxFailures;
            }

            if (node is not null)
            {
                // Its window ended: a new one starts now, at the back of the order.
                byWindowStart.Remove(node);
                entries.Remove(key);
            }

            MakeRoom(now);
            var entry = new Entry(key, now + options.Window) { Failures = 1 };
            entries[key] = byWindowStart.AddLast(entry);
            return options.MaxFailures == 1;
        }
    }

    /// <summary>The key an address is counted under.</summary>
    public static IPAddress Normalize(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.IPv6None;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    private void MakeRoom(DateTimeOffset now)
    {
        while (byWindowStart.First is { } oldest && (now >= oldest.Value.WindowEnd || entries.Count >= options.MaxTrackedAddresses))
        {
            byWindowStart.RemoveFirst();
            entries.Remove(oldest.Value.Address);
        }
    }

    private sealed class Entry(IPAddress address, DateTimeOffset windowEnd)
    {
        public IPAddress Address { get; } = address;
        public DateTimeOffset WindowEnd { get; } = windowEnd;
        public int Failures { get; set; }
    }
}
