namespace ZeroPath.Silo.Apis;

/// <summary>The admin API's bearer key: <c>ZeroPath:Admin:Key</c>, or the <c>ZP_ADMIN_KEY</c> environment variable.</summary>
public sealed class AdminApiOptions
{
    public const string SectionName = "ZeroPath:Admin";
    public const string EnvironmentVariable = "ZP_ADMIN_KEY";
    public const int MinKeyLength = 16;

    public string Key { get; set; } = "";
}
