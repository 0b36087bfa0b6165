using System.Collections.Immutable;
using ZeroPath.Tokens;

namespace ZeroPath.Testing;

public static class OrganizationPaging
{
    /// <summary>Every active token of the organization, newest first, read page by page through its cursors.</summary>
    public static async Task<ImmutableArray<TokenSummary>> ListAllTokensAsync(this IOrganizationGrain org, int pageSize = 500)
    {
        var all = ImmutableArray.CreateBuilder<TokenSummary>();
        string? cursor = null;
        do
        {
            var page = await org.ListTokens(cursor, pageSize);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return all.ToImmutable();
    }
}
