// Seeded random numbers for the search. std::uniform_*_distribution are implementation-defined (libstdc++,
// libc++ and MSVC give different sequences from the same engine), so the draws are made here from the raw
// std::mt19937_64 output, whose sequence the standard fixes: the same seed gives the same run anywhere.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace bitloop::search
{

class Rng
{
public:
    explicit Rng(std::uint64_t seed = 1) : engine_(seed) {}

    // Uniform in [0, n), n > 0, without modulo bias (draws below 2^64 mod n are rejected).
    std::uint64_t below(std::uint64_t n);
    // Uniform in [0, 1): the top 53 bits of one draw, so every value is a multiple of 2^-53.
    double real();
    bool coin() { return (engine_() >> 63) != 0; }

    // The engine's state as text (operator<< of std::mt19937_64), and back: checkpoints store it so that a
    // resumed run draws exactly what an uninterrupted run would have drawn.
    std::string state() const;
    void setState(const std::string &text); // throws std::invalid_argument on malformed text

    bool operator==(const Rng &o) const { return engine_ == o.engine_; }

private:
    std::mt19937_64 engine_;
};

} // namespace bitloop::search
