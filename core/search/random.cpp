#include "search/random.h"

#include <sstream>
#include <stdexcept>

namespace bitloop::search
{

std::uint64_t Rng::below(std::uint64_t n)
{
    if (n == 0)
        throw std::invalid_argument("Rng::below: empty range");
    // 2^64 mod n, computed in 64-bit arithmetic: draws under it would make small results more likely.
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
        const std::uint64_t r = engine_();
        if (r >= threshold)
            return r % n;
    }
}

double Rng::real()
{
    return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

std::string Rng::state() const
{
    std::ostringstream out;
    out << engine_;
    return out.str();
}

void Rng::setState(const std::string &text)
{
    std::istringstream in(text);
    std::mt19937_64 e;
    in >> e;
    std::string rest;
    if (in.fail() || (in >> rest))
        throw std::invalid_argument("random number generator state: not the text of a std::mt19937_64");
    engine_ = e;
}

} // namespace bitloop::search
