// The checksums of a zip archive's stored entries. LibTorch's archive reader (checkpoints, supernets,
// fine-tuning states) does not compare them, so a flipped bit inside a tensor's data loads silently and
// answers with other weights; this check turns that into an error naming the file.
#pragma once

#include <string>
#include <vector>

namespace bitloop
{

// Reads the zip archive at `path` and compares the CRC-32 of every entry stored uncompressed (as LibTorch
// writes them) with the one its central directory records. InputError naming the file and the entry on a
// mismatch or an entry that runs past the end of the file. Archives it does not understand (no end of
// central directory, zip64, compressed entries) are left to the archive reader: only what it can check
// is judged.
void checkStoredZipEntries(const std::string &path);

// Where an entry's bytes lie in the archive (offset and size), with the checksum its directory records.
struct ZipEntry {
    std::string name;
    size_t offset = 0, size = 0;
    unsigned long crc = 0;
    bool stored = false; // uncompressed: its bytes are the data the checksum covers
};

// The entries of the zip archive `bytes`, as far as checkStoredZipEntries understands it (empty when it
// does not); an entry that runs past the end is still listed.
std::vector<ZipEntry> zipEntries(const std::string &bytes);

// The CRC-32 of zip (ISO 3309, reflected polynomial 0xEDB88320) over `n` bytes, by zlib.
unsigned long crc32Of(const unsigned char *data, size_t n);

} // namespace bitloop
