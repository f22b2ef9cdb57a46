#include "util/json.h"

#include "util/error.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace bitloop
{

std::string jsonEscape(const std::string &s)
{
    std::string o = "\"";
    for (size_t k = 0; k < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[k]);
        if (c >= 0x80) { // JSON text is UTF-8: a byte that is not part of it reads as U+FFFD, as decoders do
            const size_t n = utf8SequenceLength(s, k);
            o += n == 0 ? std::string("\\ufffd") : s.substr(k, n);
            k += n == 0 ? 1 : n;
            continue;
        }
        ++k;
        switch (c) {
        case '"':
            o += "\\\"";
            break;
        case '\\':
            o += "\\\\";
            break;
        case '\n':
            o += "\\n";
            break;
        case '\t':
            o += "\\t";
            break;
        case '\r':
            o += "\\r";
            break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                o += buf;
            } else {
                o += static_cast<char>(c);
            }
        }
    }
    return o + "\"";
}

void JsonWriter::separate()
{
    if (afterKey_) {
        afterKey_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back())
            out_ << ",";
        first_.back() = false;
    }
}

JsonWriter &JsonWriter::beginObject()
{
    separate();
    out_ << "{";
    first_.push_back(true);
    return *this;
}

JsonWriter &JsonWriter::endObject()
{
    out_ << "}";
    first_.pop_back();
    return *this;
}

JsonWriter &JsonWriter::beginArray()
{
    separate();
    out_ << "[";
    first_.push_back(true);
    return *this;
}

JsonWriter &JsonWriter::endArray()
{
    out_ << "]";
    first_.pop_back();
    return *this;
}

JsonWriter &JsonWriter::key(const std::string &k)
{
    separate();
    out_ << jsonEscape(k) << ":";
    afterKey_ = true;
    return *this;
}

JsonWriter &JsonWriter::value(const std::string &s)
{
    separate();
    out_ << jsonEscape(s);
    return *this;
}

std::string shortestDouble(double v)
{
    char buf[32];
    // Whole numbers as integers (355327000 pJ, not 3.55327e+08), where a double holds every one exactly.
    if (std::fabs(v) < 1e15 && v == std::floor(v)) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (std::strtod(buf, nullptr) == v)
            break;
    }
    return buf;
}

JsonWriter &JsonWriter::value(double d)
{
    separate();
    if (!std::isfinite(d)) {
        out_ << "null";
        return *this;
    }
    out_ << shortestDouble(d);
    return *this;
}

JsonWriter &JsonWriter::value(int64_t i)
{
    separate();
    out_ << i;
    return *this;
}

JsonWriter &JsonWriter::value(bool b)
{
    separate();
    out_ << (b ? "true" : "false");
    return *this;
}

JsonWriter &JsonWriter::null()
{
    separate();
    out_ << "null";
    return *this;
}

} // namespace bitloop
