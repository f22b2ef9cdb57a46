#include "qat/data/file_bytes.h"

#include "util/error.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

namespace bitloop::datasets_detail
{

namespace fs = std::filesystem;

bool isFile(const std::string &path)
{
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

static std::vector<uint8_t> readRaw(const std::string &path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw InputError(path, 0, "no such file");
    if (fs::is_directory(path, ec))
        throw InputError(path, 0, "is a folder, expected a file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, 0, "cannot open the file for reading");
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    in.seekg(0, std::ios::beg);
    if (size < 0 || !in)
        throw InputError(path, 0, "cannot read the file");
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    if (size > 0 && !in.read(reinterpret_cast<char *>(bytes.data()), size))
        throw InputError(path, 0,
                         "cannot read the file (read failed after " + std::to_string(in.gcount()) + " of " +
                             std::to_string(size) + " bytes)");
    return bytes;
}

static bool gzipMagicAt(const std::vector<uint8_t> &bytes, size_t at)
{
    return bytes.size() >= at + 2 && bytes[at] == 0x1f && bytes[at + 1] == 0x8b;
}

static std::vector<uint8_t> gunzip(const std::string &path, const std::vector<uint8_t> &in)
{
    // The last member's ISIZE (length mod 2^32) is a good first guess of the inflated size when the file is
    // sound; a damaged tail can hold anything, so the guess is capped by deflate's best ratio (about 1032:1).
    const size_t chunk = size_t(1) << 20;
    size_t guess = chunk;
    if (in.size() >= 18) {
        const size_t n = in.size();
        const uint32_t isize = uint32_t(in[n - 4]) | uint32_t(in[n - 3]) << 8 | uint32_t(in[n - 2]) << 16 |
                               uint32_t(in[n - 1]) << 24;
        guess = std::min<size_t>(isize, n * 1032) + 1; // + 1: room to see the end without growing
    }
    std::vector<uint8_t> out(guess);

    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        throw InputError(path, 0, "cannot start zlib's inflate");
    struct End {
        z_stream *z;
        ~End() { inflateEnd(z); }
    } end{&z};

    size_t consumed = 0;
    size_t produced = 0;
    for (;;) {
        const size_t inLeft = in.size() - consumed;
        z.next_in = const_cast<Bytef *>(in.data() + consumed);
        z.avail_in = static_cast<uInt>(std::min<size_t>(inLeft, std::numeric_limits<uInt>::max()));
        if (produced == out.size())
            out.resize(out.size() + std::max(chunk, out.size())); // doubles: linear time overall
        z.next_out = out.data() + produced;
        z.avail_out =
            static_cast<uInt>(std::min<size_t>(out.size() - produced, std::numeric_limits<uInt>::max()));
        const uInt availIn = z.avail_in, availOut = z.avail_out;
        const int rc = inflate(&z, Z_NO_FLUSH);
        consumed += availIn - z.avail_in;
        produced += availOut - z.avail_out;
        const bool progressed = availIn != z.avail_in || availOut != z.avail_out;
        if (rc == Z_STREAM_END) {
            if (consumed == in.size())
                break;
            if (!gzipMagicAt(in, consumed))
                throw InputError(path, 0,
                                 "corrupt gzip file: " + std::to_string(in.size() - consumed) +
                                     " bytes that are not gzip data after the compressed stream");
            inflateReset(&z); // another gzip member follows
            continue;
        }
        if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT)
            throw InputError(
                path, 0, std::string("corrupt gzip data: ") + (z.msg ? z.msg : "invalid compressed data"));
        if (rc == Z_MEM_ERROR)
            throw InputError(path, 0, "out of memory while inflating the gzip data");
        if (rc == Z_BUF_ERROR && (consumed == in.size() || !progressed))
            throw InputError(path, 0,
                             "truncated gzip file: the compressed stream ends early (after " +
                                 std::to_string(produced) + " inflated bytes)");
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            throw InputError(path, 0, "cannot inflate the gzip data (zlib error " + std::to_string(rc) + ")");
        if (consumed == in.size() && z.avail_out != 0)
            throw InputError(path, 0,
                             "truncated gzip file: the compressed stream ends early (after " +
                                 std::to_string(produced) + " inflated bytes)");
    }
    out.resize(produced);
    return out;
}

std::vector<uint8_t> readFileBytes(const std::string &path)
{
    std::vector<uint8_t> raw = readRaw(path);
    if (gzipMagicAt(raw, 0))
        return gunzip(path, raw);
    return raw;
}

} // namespace bitloop::datasets_detail
