namespace ZeroPath.Gateway.Caching;

/// <summary>
/// A thread-safe map with a size bound: adding past <see cref="Capacity"/> drops the least recently used entry. One lock
/// guards the map and the recency list; every operation is O(1) and holds it for a few dozen nanoseconds.
/// </summary>
public sealed class BoundedLru<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<KeyValuePair<TKey, TValue>>> map;
    private readonly LinkedList<KeyValuePair<TKey, TValue>> recency = new();
    private readonly Lock gate = new();

    public BoundedLru(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        map = new Dictionary<TKey, LinkedListNode<KeyValuePair<TKey, TValue>>>(Math.Min(capacity, 1024));
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return map.Count;
            }
        }
    }

    /// <summary>Finds an entry and marks it most recently used.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        lock (gate)
        {
            if (map.TryGetValue(key, out var node))
            {
                recency.Remove(node);
                recency.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>Adds or replaces an entry as the most recently used; drops the least recently used one past capacity.</summary>
    public void Set(TKey key, TValue value)
    {
        lock (gate)
        {
            if (map.TryGetValue(key, out var node))
            {
                recency.Remove(node);
                node.Value = new(key, value);
                recency.AddFirst(node);
                return;
            }

            if (map.Count >= Capacity)
            {
                var oldest = recency.Last!;
                recency.RemoveLast();
                map.Remove(oldest.Value.Key);
            }

            map[key] = recency.AddFirst(new KeyValuePair<TKey, TValue>(key, value));
        }
    }

    /// <summary>
    /// Like <see cref="Set"/>, but an entry already present stays when <paramref name="keepExisting"/> says so,
    /// decided under the same lock as the write.
    /// </summary>
    public void SetUnless(TKey key, TValue value, Func<TValue, bool> keepExisting)
    {
        lock (gate)
        {
            if (map.TryGetValue(key, out var node) && keepExisting(node.Value.Value))
            {
                return;
            }

            Set(key, value);
        }
    }

    public bool Remove(TKey key)
    {
        lock (gate)
        {
            if (!map.Remove(key, out var node))
            {
                return false;
            }

            recency.Remove(node);
            return true;
        }
    }

    /// <summary>Removes the entry only if it still holds <paramref name="value"/> (by reference for classes).</summary>
    public bool Remove(TKey key, TValue value)
    {
        lock (gate)
        {
            if (!map.TryGetValue(key, out var node) || !EqualityComparer<TValue>.Default.Equals(node.Value.Value, value))
            {
                return false;
            }

            map.Remove(key);
            recency.Remove(node);
            return true;
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            map.Clear();
            recency.Clear();
        }
    }
}
