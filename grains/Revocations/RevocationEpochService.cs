using Microsoft.Extensions.Logging;
using Orleans.Runtime.Services;
using Orleans.Services;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Revocations;

/// <summary>One per silo: receives raised revocation marks for that silo's <see cref="RevocationEpochCache"/>.</summary>
[Alias("zp.revocation-epoch-service")]
public interface IRevocationEpochService : IGrainService
{
    [Alias("apply")]
    Task Apply(string organizationId, RevocationEpochs epochs);
}

/// <summary>Addresses the <see cref="IRevocationEpochService"/> of one particular silo.</summary>
public interface IRevocationEpochServiceClient : IGrainServiceClient<IRevocationEpochService>
{
    IRevocationEpochService OnSilo(SiloAddress silo);
}

public sealed class RevocationEpochService(GrainId grainId, Silo silo, ILoggerFactory loggerFactory, RevocationEpochCache cache)
    : GrainService(grainId, silo, loggerFactory), IRevocationEpochService
{
    public Task Apply(string organizationId, RevocationEpochs epochs)
    {
        cache.Merge(organizationId, epochs);
        return Task.CompletedTask;
    }
}

public sealed class RevocationEpochServiceClient(IServiceProvider services)
    : GrainServiceClient<IRevocationEpochService>(services), IRevocationEpochServiceClient
{
    public IRevocationEpochService OnSilo(SiloAddress silo) => GetGrainService(silo);
}
