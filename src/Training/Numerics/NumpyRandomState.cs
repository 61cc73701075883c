namespace ProCo.Training.Numerics;

/// <summary>
/// numpy's legacy global generator (<c>np.random.seed(s)</c>, <c>np.random.shuffle</c>): the
/// Mersenne Twister MT19937 with its classic integer seeding, and the shuffle's bounded draws
/// (a bit mask and rejection). With the same seed it gives the same permutations numpy does, so
/// the long-tailed CIFAR subsets of the public ProCo code can be drawn here image for image.
/// </summary>
public sealed class NumpyRandomState
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _state = new uint[N];
    private int _position;

    /// <summary>As <c>np.random.seed(seed)</c> with an integer seed.</summary>
    public NumpyRandomState(uint seed)
    {
        for (var i = 0; i < N; i++)
        {
            _state[i] = seed;
            seed = unchecked(1812433253u * (seed ^ (seed >> 30)) + (uint)i + 1);
        }
        _position = N;
    }

    /// <summary>The next 32 random bits (MT19937's tempered output).</summary>
    public uint NextUInt32()
    {
        if (_position >= N) Twist();
        var y = _state[_position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    private void Twist()
    {
        for (var i = 0; i < N; i++)
        {
            var y = (_state[i] & 0x80000000u) | (_state[(i + 1) % N] & 0x7fffffffu);
            _state[i] = _state[(i + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908b0dfu : 0u);
        }
        _position = 0;
    }

    /// <summary>A uniform integer in [0, <paramref name="max"/>], drawn as numpy's legacy shuffle does (mask, then reject).</summary>
    public uint Interval(uint max)
    {
        if (max == 0) return 0;
        var mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max)
        {
        }
        return value;
    }

    /// <summary>Shuffles in place as <c>np.random.shuffle</c> shuffles a one-dimensional array.</summary>
    public void Shuffle<T>(T[] items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = (int)Interval((uint)i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
