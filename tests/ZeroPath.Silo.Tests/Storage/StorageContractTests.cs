using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Xunit.Abstractions;

namespace ZeroPath.Silo.Tests.Storage;

/// <summary>
/// What the grains rely on from their storage, checked against every supported provider on a real server through the
/// <see cref="IGrainStorage"/> and <see cref="IReminderTable"/> the silo built (the in-memory provider of the grain tests
/// is a test double, not a provider, and is not here). Every test uses keys of its own.
/// </summary>
public abstract class StorageContractTests(StorageFixture fixture, ITestOutputHelper output)
{
    private const string StateName = "contract";

    private IGrainStorage Storage => fixture.Storage;

    private IReminderTable Reminders => fixture.Reminders;

    [Fact]
    public async Task Reading_a_record_that_was_never_written_finds_none_and_gives_a_fresh_state()
    {
        var state = new StateRecord();

        await Storage.ReadStateAsync(StateName, NewGrain(), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.NotNull(state.State);
        Assert.Null(state.State.Name);
        Assert.Empty(state.State.Entries);
    }

    [Fact]
    public async Task A_written_state_reads_back_the_same_json_types_included()
    {
        var grain = NewGrain();
        var written = ContractState.Sample(entries: 3);
        var state = new StateRecord(written);

        await Storage.WriteStateAsync(StateName, grain, state);
        var read = new StateRecord();
        await Storage.ReadStateAsync(StateName, grain, read);

        Assert.True(state.RecordExists);
        Assert.False(string.IsNullOrEmpty(state.ETag));
        Assert.True(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
        ContractState.AssertSame(written, read.State);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused_and_the_newer_state_stays()
    {
        var grain = NewGrain();
        var first = new StateRecord(ContractState.Sample(entries: 1));
        await Storage.WriteStateAsync(StateName, grain, first);
        var a = await ReadAsync(grain);
        var b = await ReadAsync(grain);
        b.State.Name = "b";
        await Storage.WriteStateAsync(StateName, grain, b);

        a.State.Name = "a";
        await Assert.ThrowsAnyAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grain, a));
        // A writer that never read (no ETag) may not overwrite an existing record either.
        var blind = new StateRecord(ContractState.Sample(entries: 0));
        await Assert.ThrowsAnyAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grain, blind));

        var stored = await ReadAsync(grain);
        Assert.Equal("b", stored.State.Name);
        Assert.Equal(b.ETag, stored.ETag);
    }

    [Fact]
    public async Task A_cleared_record_reads_as_none()
    {
        var grain = NewGrain();
        var state = new StateRecord(ContractState.Sample(entries: 2));
        await Storage.WriteStateAsync(StateName, grain, state);

        await Storage.ClearStateAsync(StateName, grain, state);
        var read = await ReadAsync(grain);

        Assert.False(state.RecordExists);
        Assert.False(read.RecordExists);
        Assert.Null(read.State.Name);
        Assert.Empty(read.State.Entries);
    }

    [Fact]
    public async Task After_a_clear_a_writer_with_the_etag_from_before_is_refused_and_one_that_read_again_writes()
    {
        var grain = NewGrain();
        var before = new StateRecord(ContractState.Sample(entries: 1));
        await Storage.WriteStateAsync(StateName, grain, before);
        var clearer = await ReadAsync(grain);
        await Storage.ClearStateAsync(StateName, grain, clearer);

        before.State.Name = "stale";
        await Assert.ThrowsAnyAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grain, before));
        // Neither may a blind writer: the cleared record still guards against one that read before it existed.
        var blind = new StateRecord(ContractState.Sample(entries: 0));
        await Assert.ThrowsAnyAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grain, blind));

        var second = await ReadAsync(grain);
        Assert.False(second.RecordExists);
        second.State = ContractState.Sample(entries: 2);
        second.State.Name = "second";
        await Storage.WriteStateAsync(StateName, grain, second);
        // The clearer itself holds the ETag the clear gave it, now stale too.
        clearer.State.Name = "clearer";
        await Assert.ThrowsAnyAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grain, clearer));

        var stored = await ReadAsync(grain);
        Assert.True(stored.RecordExists);
        ContractState.AssertSame(second.State, stored.State);
    }

    [Fact]
    public async Task The_same_key_under_two_grain_types_or_two_state_names_is_four_records()
    {
        var key = Guid.NewGuid().ToString("N");
        GrainId[] grains = [GrainId.Create("zp-contract-a", key), GrainId.Create("zp-contract-b", key)];
        string[] names = [StateName, "contract-other"];
        var written = new Dictionary<(GrainId, string), StateRecord>();
        foreach (var grain in grains)
        {
            foreach (var name in names)
            {
                var state = new StateRecord(ContractState.Sample(entries: 1));
                state.State.Name = $"{grain.Type}/{name}";
                await Storage.WriteStateAsync(name, grain, state);
                written[(grain, name)] = state;
            }
        }

        await Storage.ClearStateAsync(names[0], grains[0], written[(grains[0], names[0])]);

        Assert.False((await ReadAsync(grains[0], names[0])).RecordExists);
        foreach (var (grain, name) in written.Keys.Where(k => k != (grains[0], names[0])))
        {
            var read = await ReadAsync(grain, name);
            Assert.True(read.RecordExists);
            Assert.Equal($"{grain.Type}/{name}", read.State.Name);
            Assert.Equal(written[(grain, name)].ETag, read.ETag);
        }
    }

    [Fact]
    public async Task A_state_of_about_400_KB_of_json_stores_and_reads_back()
    {
        // The worst case of an organization's index shard: 512 tokens with 100-character non-ASCII names, which JSON
        // escapes to six bytes a character.
        var grain = NewGrain();
        var big = ContractState.Sample(entries: 512, nameLength: 100);
        var size = fixture.Silo.Services.GetRequiredService<IGrainStorageSerializer>().Serialize(big).ToMemory().Length;
        Assert.InRange(size, 350_000, 900_000);
        var state = new StateRecord(big);

        await Storage.WriteStateAsync(StateName, grain, state);
        var read = await ReadAsync(grain);
        ContractState.AssertSame(big, read.State);

        read.State.Entries.Remove(read.State.Entries.Keys.First());
        await Storage.WriteStateAsync(StateName, grain, read);
        Assert.Equal(511, (await ReadAsync(grain)).State.Entries.Count);
        output.WriteLine($"{size / 1024.0:F0} KiB of JSON stored and read back");
    }

    [Fact]
    public async Task Writes_one_after_another_each_with_the_last_etag_all_succeed()
    {
        const int writes = 200;
        var grain = NewGrain();
        var state = new StateRecord(ContractState.Sample(entries: 4));
        var etags = new HashSet<string>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < writes; i++)
        {
            state.State.Count = i;
            await Storage.WriteStateAsync(StateName, grain, state);
            Assert.True(etags.Add(state.ETag!), "an ETag came back twice");
        }

        clock.Stop();
        var stored = await ReadAsync(grain);
        Assert.Equal(writes - 1, stored.State.Count);
        Assert.Equal(state.ETag, stored.ETag);
        output.WriteLine($"{writes} sequential writes of a {fixture.GetType().Name} state: {clock.Elapsed.TotalMilliseconds / writes:F2} ms each");
    }

    [Fact]
    public async Task A_reminder_upserted_reads_back_by_name_and_by_grain()
    {
        var grain = NewReminderGrain();
        var other = NewReminderGrain();
        var expiry = Entry(grain, "expiry");
        var resume = Entry(grain, "resume");
        var elsewhere = Entry(other, "expiry");

        expiry.ETag = await Reminders.UpsertRow(expiry);
        resume.ETag = await Reminders.UpsertRow(resume);
        elsewhere.ETag = await Reminders.UpsertRow(elsewhere);

        var read = await Reminders.ReadRow(grain, "expiry");
        Assert.NotNull(read);
        AssertSame(expiry, read);
        Assert.Null(await Reminders.ReadRow(grain, "never-registered"));
        var all = (await Reminders.ReadRows(grain)).Reminders;
        Assert.Equal(["expiry", "resume"], all.Select(r => r.ReminderName).Order());
        Assert.All(all, r => Assert.Equal(grain, r.GrainId));
        AssertSame(resume, all.Single(r => r.ReminderName == "resume"));

        // An upsert replaces the row and gives a new ETag.
        var moved = Entry(grain, "expiry", startAt: expiry.StartAt.AddHours(1));
        moved.ETag = await Reminders.UpsertRow(moved);
        Assert.NotEqual(expiry.ETag, moved.ETag);
        AssertSame(moved, (await Reminders.ReadRow(grain, "expiry"))!);
        Assert.Equal(2, (await Reminders.ReadRows(grain)).Reminders.Count);
    }

    [Fact]
    public async Task Reminders_read_by_hash_range_are_those_after_begin_up_to_end_wrapping_around()
    {
        var grains = Enumerable.Range(0, 3).Select(_ => NewReminderGrain()).OrderBy(g => g.GetUniformHashCode()).ToArray();
        var hashes = grains.Select(g => g.GetUniformHashCode()).ToArray();
        Assert.True(hashes[0] < hashes[1] && hashes[1] < hashes[2], "three grains with distinct hashes");
        foreach (var grain in grains)
        {
            await Reminders.UpsertRow(Entry(grain, "tick"));
        }

        // (begin, end]: begin excluded, end included; other tests' reminders may be in range too, so look only at ours.
        var inRange = await OursAsync(hashes[0], hashes[1]);
        var wrapped = await OursAsync(hashes[1], hashes[0]);
        var below = await OursAsync(hashes[2], hashes[0] - 1);

        Assert.Equal([grains[1]], inRange);
        Assert.Equal(new[] { grains[0], grains[2] }.Order(), wrapped.Order());
        Assert.Empty(below);

        async Task<GrainId[]> OursAsync(uint begin, uint end) =>
            [.. (await Reminders.ReadRows(begin, end)).Reminders.Select(r => r.GrainId).Where(grains.Contains)];
    }

    [Fact]
    public async Task A_reminder_is_removed_with_its_current_etag_and_not_with_a_stale_one()
    {
        var grain = NewReminderGrain();
        var first = Entry(grain, "expiry");
        var staleETag = await Reminders.UpsertRow(first);
        var currentETag = await Reminders.UpsertRow(Entry(grain, "expiry"));

        Assert.False(await Reminders.RemoveRow(grain, "expiry", staleETag!));
        Assert.NotNull(await Reminders.ReadRow(grain, "expiry"));

        Assert.True(await Reminders.RemoveRow(grain, "expiry", currentETag!));
        Assert.Null(await Reminders.ReadRow(grain, "expiry"));
        Assert.Empty((await Reminders.ReadRows(grain)).Reminders);
        Assert.False(await Reminders.RemoveRow(grain, "expiry", currentETag!));
    }

    private static GrainId NewGrain() => GrainId.Create("zp-contract", Guid.NewGuid().ToString("N"));

    private static GrainId NewReminderGrain() => GrainId.Create("zp-contract-reminders", Guid.NewGuid().ToString("N"));

    /// <summary>Far in the future, so the silo's own reminder service never fires it at a grain that does not exist.</summary>
    private static ReminderEntry Entry(GrainId grain, string name, DateTime? startAt = null) => new()
    {
        GrainId = grain,
        ReminderName = name,
        StartAt = startAt ?? new DateTime(2031, 2, 3, 4, 5, 6, DateTimeKind.Utc),
        Period = TimeSpan.FromMinutes(10),
    };

    private static void AssertSame(ReminderEntry expected, ReminderEntry actual)
    {
        Assert.Equal(expected.GrainId, actual.GrainId);
        Assert.Equal(expected.ReminderName, actual.ReminderName);
        Assert.Equal(expected.StartAt, actual.StartAt.ToUniversalTime());
        Assert.Equal(expected.Period, actual.Period);
        Assert.Equal(expected.ETag, actual.ETag);
    }

    private async Task<StateRecord> ReadAsync(GrainId grain, string name = StateName)
    {
        var state = new StateRecord();
        await Storage.ReadStateAsync(name, grain, state);
        return state;
    }
}

public sealed class RedisStorageContractTests(RedisStorageFixture fixture, ITestOutputHelper output)
    : StorageContractTests(fixture, output), IClassFixture<RedisStorageFixture>;

public sealed class AzureTableStorageContractTests(AzureTableStorageFixture fixture, ITestOutputHelper output)
    : StorageContractTests(fixture, output), IClassFixture<AzureTableStorageFixture>;

/// <summary>A state with what the grains' states hold: instants with offsets, immutable arrays, Guid-keyed dictionaries, nulls.</summary>
public sealed class ContractState
{
    public string? Name { get; set; }

    public DateTimeOffset At { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public int? Count { get; set; }

    public ImmutableArray<string> Permissions { get; set; } = [];

    public Dictionary<Guid, ContractEntry> Entries { get; set; } = [];

    public static ContractState Sample(int entries, int nameLength = 12)
    {
        // Letters from several scripts, none of them ASCII.
        const string letters = "ÄÖÜßéñçøåæΩΔλπжшщяאבגدعمनहक中文字日本語한국어";
        var at = new DateTimeOffset(2030, 4, 5, 6, 7, 8, TimeSpan.FromHours(5.5)).AddTicks(1234567);
        return new ContractState
        {
            Name = "sample",
            At = at,
            EndedAt = null,
            Count = null,
            Permissions = ["scans:read", "vulns:write"],
            Entries = Enumerable.Range(0, entries).Select(i => new ContractEntry(
                Guid.NewGuid(),
                i % 7 == 6 ? null : string.Concat(Enumerable.Range(i, nameLength).Select(j => letters[j % letters.Length])),
                $"user-{i}",
                at.AddMinutes(i),
                i % 2 == 0 ? at.AddDays(30) : null)).ToDictionary(e => e.TokenId),
        };
    }

    public static void AssertSame(ContractState expected, ContractState actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.At, actual.At);
        Assert.Equal(expected.At.Offset, actual.At.Offset);
        Assert.Equal(expected.EndedAt, actual.EndedAt);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Permissions.ToArray(), actual.Permissions.ToArray());
        Assert.Equal(expected.Entries.Count, actual.Entries.Count);
        foreach (var (id, entry) in expected.Entries)
        {
            Assert.Equal(entry, actual.Entries[id]);
        }
    }
}

/// <summary>A grain's view of its record, as <see cref="IPersistentState{TState}"/> gives it: never a null state.</summary>
public sealed class StateRecord(ContractState state) : IGrainState<ContractState>
{
    public StateRecord()
        : this(new ContractState())
    {
    }

    public ContractState State { get; set; } = state;

    ContractState? IGrainState<ContractState>.State
    {
        get => State;
        set => State = value ?? throw new InvalidOperationException("A provider set a null state.");
    }

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}

public sealed record ContractEntry(Guid TokenId, string? Name, string UserId, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);
