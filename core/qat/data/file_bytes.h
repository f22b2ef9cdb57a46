// Whole-file reads for the dataset readers: gzip is told by its magic (1f 8b), not by the file's name, and
// inflated with zlib. Internal to core/qat/data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bitloop::datasets_detail
{

// The file's bytes, inflated when it is gzipped (several gzip members are read one after the other).
// InputError naming the file when it is missing, unreadable, or a corrupt or truncated gzip stream.
std::vector<uint8_t> readFileBytes(const std::string &path);

// Whether `path` names an existing regular file.
bool isFile(const std::string &path);

} // namespace bitloop::datasets_detail
