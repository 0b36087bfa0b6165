namespace ZeroPath.Cli;

/// <summary>Distinct exit codes, so scripts can tell what went wrong.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 2;
    public const int AuthFailed = 3;
    public const int NotFound = 4;
    public const int ServerError = 5;
    public const int Rejected = 6;
    public const int Unreachable = 7;
}
