// Overflow-checked integer arithmetic for sizes that come from input files: a product of sizes that does
// not fit is an error to report, never a wrapped number to compute with.
#pragma once

#include <cstdint>
#include <optional>

namespace bitloop
{

inline std::optional<int64_t> checkedMul(int64_t a, int64_t b)
{
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r))
        return std::nullopt;
    return r;
}

inline std::optional<int64_t> checkedAdd(int64_t a, int64_t b)
{
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r))
        return std::nullopt;
    return r;
}

// A running computation that remembers whether any step overflowed or passed `limit`:
//   CheckedSize s(limit); int64_t n = s.mul(a, b); ...; if (!s.ok()) error
class CheckedSize
{
public:
    explicit CheckedSize(int64_t limit = INT64_MAX) : limit_(limit) {}
    int64_t mul(int64_t a, int64_t b) { return keep(checkedMul(a, b)); }
    int64_t add(int64_t a, int64_t b) { return keep(checkedAdd(a, b)); }
    bool ok() const { return ok_; }

private:
    int64_t keep(std::optional<int64_t> r)
    {
        if (!r || *r > limit_ || *r < -limit_) {
            ok_ = false;
            return 0;
        }
        return *r;
    }
    int64_t limit_;
    bool ok_ = true;
};

} // namespace bitloop
