// SHA-256 (FIPS 180-4): the digest that names cache entries, where a collision would silently return the
// answer to another question.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bitloop
{

class Sha256
{
public:
    Sha256();
    void update(const void *data, size_t size);
    void update(std::string_view text) { update(text.data(), text.size()); }
    // The digest of everything given; the object must not be updated afterwards.
    std::array<uint8_t, 32> finish();

private:
    void compress(const uint8_t *block);
    std::array<uint32_t, 8> h_;
    std::array<uint8_t, 64> buffer_{};
    size_t buffered_ = 0;
    uint64_t length_ = 0; // bytes
};

// Lower-case hex of the SHA-256 of `text`.
std::string sha256Hex(std::string_view text);

} // namespace bitloop
