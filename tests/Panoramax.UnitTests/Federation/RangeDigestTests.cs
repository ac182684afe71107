using Panoramax.Domain.Federation;
using Panoramax.Federation.Reconcile;

namespace Panoramax.UnitTests.Federation;

/// <summary>The range digest of federation-spec.md §7.1 (test vector of §10) and the bisection that uses it.</summary>
public sealed class RangeDigestTests
{
    private static readonly Guid Picture = Guid.Parse("0191f3a0-0000-7000-8000-0000000000aa");
    private static readonly Guid Sequence = Guid.Parse("0191f3a0-0000-7000-8000-0000000000bb");

    [Fact]
    public void Digest_lines_and_range_digest_match_the_spec_test_vector()
    {
        var upsert = new DigestLine(1, EntityKind.Picture, Picture, 1, DigestLine.OpCode(ChangeOp.Upsert));
        var tombstone = new DigestLine(3, EntityKind.Sequence, Sequence, 2, DigestLine.OpCode(ChangeOp.Tombstone));
        var bytes = new byte[DigestLine.Size];
        upsert.Write(bytes);
        Assert.Equal("0000000000000001" + "02" + "0191f3a00000700080000000000000aa" + "0000000000000001" + "01", Convert.ToHexStringLower(bytes));

        var digest = RangeDigestBuilder.Of(1, 3, [upsert, tombstone]);
        Assert.Equal(2, digest.Count);
        Assert.Equal("45867dc0ba53ee3954ad8c3cfadd9d1eccefe55f7e6a0ae61c4bc7bdcdec0c1c", Convert.ToHexStringLower(digest.Hash));

        // The caller does not hold the sequence: op 0, version 0, and the digest differs.
        var missing = RangeDigestBuilder.Of(1, 3, [upsert, tombstone with { Version = 0, Op = DigestLine.Missing }]);
        Assert.Equal("9c5d4714444e662c3647e719ecfacaaf9b602aa6a2798f55cb3c6169f8aa1393", Convert.ToHexStringLower(missing.Hash));
        Assert.False(missing.SameAs(digest));

        var empty = RangeDigestBuilder.Of(4, 9, []);
        Assert.Equal(0, empty.Count);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(empty.Hash));
    }

    [Fact]
    public void Split_covers_the_range_in_at_most_sixteen_consecutive_parts()
    {
        foreach (var range in new[] { new SeqSpan(1, 1000), new SeqSpan(7, 7), new SeqSpan(1, 17), new SeqSpan(100, 1_000_099) })
        {
            var parts = RangeBisector.Split(range);
            Assert.InRange(parts.Count, 1, RangeBisector.Fanout);
            Assert.Equal(range.From, parts[0].From);
            Assert.Equal(range.To, parts[^1].To);
            for (var i = 1; i < parts.Count; i++)
            {
                Assert.Equal(parts[i - 1].To + 1, parts[i].From);
            }
        }
    }

    [Fact]
    public async Task Bisection_fetches_only_the_small_ranges_around_the_divergent_seqs()
    {
        // 100,000 entries, one record each; ours differ at three seqs (a missing record, a stale version, an extra line).
        const long n = 100_000;
        var theirs = Enumerable.Range(1, (int)n).Select(i => Line(i, 1)).ToList();
        var ours = theirs.ToList();
        ours[41_999] = ours[41_999] with { Version = 0, Op = DigestLine.Missing };
        ours[42_010] = ours[42_010] with { Version = 0 };
        ours.RemoveAt(90_000);
        var remoteCalls = 0;

        var result = await RangeBisector.BisectAsync(new SeqSpan(1, n),
            (ranges, _) =>
            {
                remoteCalls++;
                Assert.InRange(ranges.Count, 1, RangeBisector.MaxRangesPerCall);
                return Task.FromResult(Digests(theirs, ranges));
            },
            (ranges, _) => Task.FromResult(Digests(ours, ranges)),
            maxLeaves: 64, CancellationToken.None);

        Assert.Equal(remoteCalls, result.Calls);
        Assert.Equal(0, result.DeferredRanges);
        Assert.All(result.Leaves, l => Assert.InRange(l.To - l.From + 1, 1, RangeBisector.LeafSize));
        // Each divergent seq lies in exactly one leaf, and the leaves are few and small: no full copy.
        foreach (var seq in new long[] { 42_000, 42_011, 90_001 })
        {
            Assert.Single(result.Leaves, l => l.From <= seq && seq <= l.To);
        }
        Assert.InRange(result.Leaves.Count, 2, 3);
        Assert.True(result.Leaves.Sum(l => l.To - l.From + 1) <= 3 * RangeBisector.LeafSize);
        // The leaves carry the peer's digest of the range (what the repair must reach).
        Assert.All(result.Leaves, l => Assert.True(l.SameAs(Digests(theirs, [new SeqSpan(l.From, l.To)])[0])));
    }

    [Fact]
    public async Task Identical_logs_need_one_call_and_a_budget_bounds_the_leaves()
    {
        var lines = Enumerable.Range(1, 10_000).Select(i => Line(i, 1)).ToList();
        var same = await RangeBisector.BisectAsync(new SeqSpan(1, 10_000),
            (r, _) => Task.FromResult(Digests(lines, r)), (r, _) => Task.FromResult(Digests(lines, r)), 64, CancellationToken.None);
        Assert.Equal(1, same.Calls);
        Assert.Equal(0, same.DifferingRanges);
        Assert.Empty(same.Leaves);

        // Every seq differs: only the budget's worth of leaves, the rest deferred to the next run.
        var other = lines.Select(l => l with { Version = 2 }).ToList();
        var all = await RangeBisector.BisectAsync(new SeqSpan(1, 10_000),
            (r, _) => Task.FromResult(Digests(other, r)), (r, _) => Task.FromResult(Digests(lines, r)), 5, CancellationToken.None);
        Assert.Equal(5, all.Leaves.Count);
        Assert.True(all.DeferredRanges > 0);
    }

    private static DigestLine Line(long seq, long version) =>
        new(seq, EntityKind.Picture, new Guid((int)seq, 0, 0, new byte[8]), version, DigestLine.OpCode(ChangeOp.Upsert));

    private static IReadOnlyList<RangeDigestValue> Digests(List<DigestLine> lines, IReadOnlyList<SeqSpan> ranges) =>
        [.. ranges.Select(r => RangeDigestBuilder.Of(r.From, r.To, lines.Where(l => l.Seq >= r.From && l.Seq <= r.To)))];
}
