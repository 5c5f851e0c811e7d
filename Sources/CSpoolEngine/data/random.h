// random.h — the loader's randomness: one independent stream per (seed, epoch, image), never thread timing.
#pragma once

#include <cstdint>
#include <random>

namespace spool {

/// SplitMix64: mixes (seed, epoch, position) into an independent stream per image.
inline uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// A uniform double in [a, b), the same on every platform (std::uniform_real_distribution is not).
inline double uniform(std::mt19937_64& rng, double a, double b) {
    return a + (b - a) * (static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0));
}

/// An integer in [lo, hi], inclusive.
inline int64_t randint(std::mt19937_64& rng, int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

/// The stream of one image: training draws from it, so an epoch is the same whatever the worker count.
inline std::mt19937_64 image_stream(uint64_t seed, int64_t epoch, int64_t item) {
    return std::mt19937_64(mix(seed ^ mix(static_cast<uint64_t>(epoch) * 1000003ULL + static_cast<uint64_t>(item))));
}

}  // namespace spool
