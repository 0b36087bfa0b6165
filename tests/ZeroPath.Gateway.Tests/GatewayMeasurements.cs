using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace ZeroPath.Gateway.Tests;

/// <summary>
/// Every measurement recorded by one gateway's own meters (instruments created through its <see cref="IMeterFactory"/>),
/// with its tags. Other gateways in the same test process use other factories, so tests running in parallel never mix.
/// </summary>
public sealed class GatewayMeasurements : IDisposable
{
    public const string Authentications = "zeropath.gateway.authentications";

    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<Measured> measured = new();

    public GatewayMeasurements(IServiceProvider gatewayServices)
    {
        var scope = gatewayServices.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, scope))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<byte>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<short>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<float>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<decimal>((i, v, t, _) => Record(i, (double)v, t));
        listener.Start();
    }

    public IReadOnlyList<Measured> All => [.. measured];

    /// <summary>The authentication decisions recorded so far, oldest first.</summary>
    public IReadOnlyList<AuthDecisionTags> Decisions =>
    [
        .. measured.Where(m => m.Instrument == Authentications).Select(m => new AuthDecisionTags(
            m.Tag("zeropath.auth.result") ?? "(none)", m.Tag("zeropath.auth.decided_by") ?? "(none)")),
    ];

    public void Dispose() => listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        measured.Enqueue(new Measured(instrument.Meter.Name, instrument.Name, value, tags.ToArray()));
}

public sealed record Measured(string Meter, string Instrument, double Value, IReadOnlyList<KeyValuePair<string, object?>> Tags)
{
    public string? Tag(string key) => Tags.FirstOrDefault(t => t.Key == key).Value?.ToString();
}

public sealed record AuthDecisionTags(string Result, string DecidedBy);
