using Microsoft.Extensions.Logging;
using Orleans.Runtime.Services;
using Orleans.Services;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Revocations;

/// <summary>One per silo: receives raised revocation marks for that silo's <see cref="RevocationMarksCache"/>.</summary>
[Alias("zp.revocation-epoch-service")]
public interface IRevocationMarksService : IGrainService
{
    [Alias("apply")]
    Task Apply(string organizationId, RevocationMarks epochs);
}

/// <summary>Addresses the <see cref="IRevocationMarksService"/> of one particular silo.</summary>
public interface IRevocationMarksServiceClient : IGrainServiceClient<IRevocationMarksService>
{
    IRevocationMarksService OnSilo(SiloAddress silo);
}

public sealed class RevocationMarksService(GrainId grainId, Silo silo, ILoggerFactory loggerFactory, RevocationMarksCache cache)
    : GrainService(grainId, silo, loggerFactory), IRevocationMarksService
{
    public Task Apply(string organizationId, RevocationMarks epochs)
    {
        cache.Merge(organizationId, epochs);
        return Task.CompletedTask;
    }
}

public sealed class RevocationMarksServiceClient(IServiceProvider services)
    : GrainServiceClient<IRevocationMarksService>(services), IRevocationMarksServiceClient
{
    public IRevocationMarksService OnSilo(SiloAddress silo) => GetGrainService(silo);
}
