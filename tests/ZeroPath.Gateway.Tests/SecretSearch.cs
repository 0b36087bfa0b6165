using System.Collections;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests;

/// <summary>Looks for secrets in text and in everything an object holds.</summary>
public static class SecretSearch
{
    private const int MaxObjects = 1_000_000;

    /// <summary>What to look for: each secret, and the random part of a <c>zp_</c> secret (in case only part of it is kept).</summary>
    public static IReadOnlyList<string> Needles(IEnumerable<string> secrets) =>
    [
        .. secrets.SelectMany(s => s.StartsWith(TokenSecretFormat.Prefix, StringComparison.Ordinal) && s.Length == TokenSecretFormat.Length
            ? new[] { s, s[TokenSecretFormat.RandomStart..TokenSecretFormat.TagStart] }
            : [s]).Distinct(StringComparer.Ordinal),
    ];

    public static string? FoundIn(string? text, IReadOnlyList<string> needles) =>
        text is null ? null : needles.FirstOrDefault(n => text.Contains(n, StringComparison.Ordinal));

    /// <summary>
    /// Walks every instance field of <paramref name="root"/>, recursively (arrays, collections' internals, boxed structs,
    /// delegates' targets), each object once, and returns where a string, a char[] or a byte[] (ASCII or UTF-16) holds a
    /// needle. Clocks and metric instruments are not walked: they are shared with the rest of the process (an instrument
    /// reaches every listener of its meter), not part of what is searched; what an instrument records is searched where
    /// it is exported (docs/security.md, the telemetry redaction test).
    /// </summary>
    public static IReadOnlyList<string> FindInGraph(object root, IReadOnlyList<string> needles)
    {
        var ascii = needles.Select(n => Encoding.ASCII.GetBytes(n)).ToArray();
        var utf16 = needles.Select(n => Encoding.Unicode.GetBytes(n)).ToArray();
        var found = new List<string>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(object Value, string Path)>();
        pending.Push((root, root.GetType().Name));
        while (pending.TryPop(out var item))
        {
            var (value, path) = item;
            if (!visited.Add(value))
            {
                continue;
            }

            Assert.True(visited.Count < MaxObjects, $"more than {MaxObjects} objects reachable from {root.GetType().Name}: the walk went somewhere it should not");
            switch (value)
            {
                case string text:
                    if (FoundIn(text, needles) is not null)
                    {
                        found.Add($"{path} (string)");
                    }

                    continue;
                case char[] chars:
                    if (FoundIn(new string(chars), needles) is not null)
                    {
                        found.Add($"{path} (char[])");
                    }

                    continue;
                case byte[] bytes:
                    if (ascii.Concat(utf16).Any(n => bytes.AsSpan().IndexOf(n) >= 0))
                    {
                        found.Add($"{path} (byte[])");
                    }

                    continue;
                case TimeProvider or MemberInfo or Pointer or Instrument or Meter:
                    continue;
                case Array array:
                    if (IsLeaf(array.GetType().GetElementType()!))
                    {
                        continue;
                    }

                    var index = 0;
                    foreach (var element in (IEnumerable)array)
                    {
                        if (element is not null && !IsLeaf(element.GetType()))
                        {
                            pending.Push((element, $"{path}[{index}]"));
                        }

                        index++;
                    }

                    continue;
            }

            if (value.GetType().Namespace?.StartsWith("System.Reflection", StringComparison.Ordinal) == true)
            {
                continue;
            }

            for (var type = value.GetType(); type is not null; type = type.BaseType)
            {
                foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType.IsPointer || field.FieldType.IsByRefLike || IsLeaf(field.FieldType))
                    {
                        continue;
                    }

                    if (field.GetValue(value) is { } child && !IsLeaf(child.GetType()))
                    {
                        pending.Push((child, $"{path}.{field.Name}"));
                    }
                }
            }
        }

        return found;
    }

    /// <summary>Values that cannot hold text: numbers, enums, booleans, handles, times and ids.</summary>
    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(decimal) || type == typeof(DateTime) || type == typeof(DateTimeOffset) ||
        type == typeof(TimeSpan) || type == typeof(Guid) || type == typeof(IntPtr) || type == typeof(UIntPtr);
}
