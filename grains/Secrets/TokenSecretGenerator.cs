using System.Buffers.Text;
using System.Security.Cryptography;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Secrets;

public static class TokenSecretGenerator
{
    /// <summary>256 bits from the OS CSPRNG as unpadded base64url: 43 URL-safe characters.</summary>
    public static string NewSecret()
    {
        Span<byte> bytes = stackalloc byte[TokenSecretFormat.SecretBytes];
        RandomNumberGenerator.Fill(bytes);
        var secret = Base64Url.EncodeToString(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return secret;
    }
}
