namespace Immunise.Seeding;

/// <summary>
/// A small, fast, deterministic random source (SplitMix64) for synthetic data. Unlike <see cref="Random"/> its sequence
/// is fixed by this code, not the runtime, so a seed gives the same data on every machine and .NET version, and one can
/// be made per person from (seed, index) at no cost.
/// </summary>
public struct SyntheticRandom(ulong state)
{
    private ulong _state = state;

    public static SyntheticRandom For(int seed, long index, ulong stream = 0) =>
        new(Mix(((ulong)(uint)seed << 32) ^ (ulong)index ^ (stream * 0x9E3779B97F4A7C15UL)));

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        return Mix(z);
    }

    /// <summary>A double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer in [0, max).</summary>
    public int Next(int max) => (int)((NextUInt64() >> 33) * (ulong)max >> 31);

    /// <summary>An integer in [min, max).</summary>
    public int Next(int min, int max) => min + Next(max - min);

    public bool Chance(double probability) => NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>An index drawn with the given cumulative weights (ascending, last = total).</summary>
    public int PickWeighted(IReadOnlyList<double> cumulative)
    {
        var x = NextDouble() * cumulative[^1];
        var lo = 0;
        var hi = cumulative.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (cumulative[mid] > x)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
