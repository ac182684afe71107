namespace Panoramax.Federation.Reconcile;

/// <summary>Inclusive seq range.</summary>
public readonly record struct SeqSpan(long From, long To)
{
    public long Length => To - From + 1;

    public override string ToString() => $"[{From}, {To}]";
}

/// <summary>What a bisection found: the differing ranges small enough to fetch (with the peer's digest of each).</summary>
public sealed record BisectResult(
    IReadOnlyList<RangeDigestValue> Leaves, int RangesCompared, int DifferingRanges, int Calls, int DeferredRanges);

/// <summary>
/// Finds where two copies of an origin's log differ without copying it (spec §7.1): compares range digests, splits
/// each differing range in up to <see cref="Fanout"/> parts per round (at most <see cref="MaxRangesPerCall"/> ranges
/// per call), down to ranges of at most <see cref="LeafSize"/> seqs.
/// </summary>
public static class RangeBisector
{
    public const int Fanout = 16;
    public const int MaxRangesPerCall = 64;
    public const int LeafSize = 256;

    /// <summary>Up to <see cref="Fanout"/> consecutive parts of near-equal length covering <paramref name="range"/>.</summary>
    public static List<SeqSpan> Split(SeqSpan range)
    {
        var size = (range.Length + Fanout - 1) / Fanout;
        var parts = new List<SeqSpan>(Fanout);
        for (var from = range.From; from <= range.To; from += size)
        {
            parts.Add(new SeqSpan(from, Math.Min(range.To, from + size - 1)));
        }
        return parts;
    }

    /// <summary>
    /// Bisects <paramref name="start"/>. <paramref name="remote"/> gives the peer's digests of up to
    /// <see cref="MaxRangesPerCall"/> ranges (one call), <paramref name="local"/> ours for the same ranges. At most
    /// <paramref name="maxLeaves"/> leaves are returned (bounded work per run); the differing ranges left over are counted
    /// as deferred.
    /// </summary>
    public static async Task<BisectResult> BisectAsync(
        SeqSpan start,
        Func<IReadOnlyList<SeqSpan>, CancellationToken, Task<IReadOnlyList<RangeDigestValue>>> remote,
        Func<IReadOnlyList<SeqSpan>, CancellationToken, Task<IReadOnlyList<RangeDigestValue>>> local,
        int maxLeaves,
        CancellationToken ct)
    {
        var leaves = new List<RangeDigestValue>();
        int compared = 0, differing = 0, calls = 0, deferred = 0;
        var round = start.Length <= LeafSize ? [start] : Split(start);
        while (round.Count > 0)
        {
            var next = new List<SeqSpan>();
            foreach (var chunk in round.Chunk(MaxRangesPerCall))
            {
                if (leaves.Count >= maxLeaves)
                {
                    // Out of budget: what is not compared yet is left for the next run.
                    deferred += chunk.Length;
                    continue;
                }
                var theirs = await remote(chunk, ct);
                var ours = await local(chunk, ct);
                calls++;
                compared += chunk.Length;
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (i < theirs.Count && theirs[i].SameAs(ours[i]))
                    {
                        continue;
                    }
                    differing++;
                    if (chunk[i].Length > LeafSize)
                    {
                        next.AddRange(Split(chunk[i]));
                    }
                    else if (leaves.Count < maxLeaves && i < theirs.Count)
                    {
                        leaves.Add(theirs[i]);
                    }
                    else
                    {
                        deferred++;
                    }
                }
            }
            round = next;
        }
        return new BisectResult(leaves, compared, differing, calls, deferred);
    }
}
