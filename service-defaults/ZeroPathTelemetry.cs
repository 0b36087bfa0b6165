namespace ZeroPath.ServiceDefaults;

/// <summary>Names of the project's own ActivitySource and Meter.</summary>
public static class ZeroPathTelemetry
{
    public const string SourceName = "ZeroPath";
    public const string MeterName = "ZeroPath";
}
