#include "util/zip_check.h"

#include "util/error.h"

#include <cstdint>
#include <fstream>
#include <iterator>

#include <zlib.h>

namespace bitloop
{

namespace
{

// Little-endian fields, as zip stores them.
uint32_t u16(const std::string &b, size_t at)
{
    return uint32_t(uint8_t(b[at])) | uint32_t(uint8_t(b[at + 1])) << 8;
}
uint32_t u32(const std::string &b, size_t at)
{
    return u16(b, at) | u16(b, at + 2) << 16;
}

constexpr uint32_t kEndOfDirectory = 0x06054b50, kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;

} // namespace

unsigned long crc32Of(const unsigned char *data, size_t n)
{
    return crc32_z(crc32_z(0, nullptr, 0), data, n);
}

std::vector<ZipEntry> zipEntries(const std::string &b)
{
    std::vector<ZipEntry> out;
    if (b.size() < 22)
        return out;
    // The end-of-central-directory record: the last 22 bytes, or earlier by a comment of up to 65,535.
    size_t end = std::string::npos;
    for (size_t at = b.size() - 22;; --at) {
        if (u32(b, at) == kEndOfDirectory) {
            end = at;
            break;
        }
        if (at == 0 || b.size() - 22 - at >= 65535)
            break;
    }
    if (end == std::string::npos)
        return out;
    const uint32_t entries = u16(b, end + 10), directory = u32(b, end + 16);
    if (entries == 0xFFFF || directory == 0xFFFFFFFFu)
        return {}; // zip64: not what LibTorch writes for files of this project's sizes
    size_t p = directory;
    for (uint32_t i = 0; i < entries; ++i) {
        if (p + 46 > b.size() || u32(b, p) != kDirectoryEntry)
            return {};
        ZipEntry e;
        e.stored = u16(b, p + 10) == 0;
        e.crc = u32(b, p + 16);
        const uint32_t size = u32(b, p + 20), local = u32(b, p + 42);
        const uint32_t nameLength = u16(b, p + 28), extraLength = u16(b, p + 30),
                       commentLength = u16(b, p + 32);
        if (p + 46 + nameLength > b.size() || size == 0xFFFFFFFFu || local == 0xFFFFFFFFu ||
            size_t(local) + 30 > b.size() || u32(b, local) != kLocalHeader)
            return {}; // zip64 fields, or a structure the archive reader will judge
        e.name = b.substr(p + 46, nameLength);
        e.size = size;
        e.offset = size_t(local) + 30 + u16(b, local + 26) + u16(b, local + 28);
        out.push_back(std::move(e));
        p += 46 + size_t(nameLength) + extraLength + commentLength;
    }
    return out;
}

void checkStoredZipEntries(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return; // the reader says why it cannot open it
    const std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const ZipEntry &e : zipEntries(b)) {
        if (e.offset + e.size > b.size())
            throw InputError(path, 0,
                             "damaged: entry '" + e.name + "' runs past the end of the file (cut short?)");
        if (e.stored &&
            crc32Of(reinterpret_cast<const unsigned char *>(b.data() + e.offset), e.size) != e.crc)
            throw InputError(
                path, 0,
                "damaged: entry '" + e.name +
                    "' does not match its checksum (CRC-32): the file changed after it was written");
    }
}

} // namespace bitloop
