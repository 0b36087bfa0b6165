namespace ZeroPath.Grains;

public static class GrainStorageNames
{
    /// <summary>The storage provider holding token and organization state; the silo host decides what backs it.</summary>
    public const string Tokens = "tokens";
}
