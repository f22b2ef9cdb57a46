#include "util/error.h"

#include <cstdint>
#include <cstdio>

#include <unistd.h>

namespace bitloop
{

namespace
{

// The code point of the well-formed n-byte UTF-8 sequence at s[i].
uint32_t codePoint(const std::string &s, size_t i, size_t n)
{
    uint32_t cp = static_cast<unsigned char>(s[i]) & (0xFFu >> (n + 1));
    for (size_t k = 1; k < n; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    return cp;
}

// Code points that change what a terminal shows rather than showing themselves: the C1 controls (a
// terminal takes U+009B as CSI) and the bidirectional overrides and isolates (text shown in another order).
bool invisibleControl(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// Appends s[i..] escaped to `out`, stopping before `out` would exceed `limit` bytes; the index reached.
size_t appendEscaped(std::string &out, const std::string &s, size_t i, size_t limit, bool quoted)
{
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        std::string piece;
        size_t used = 1;
        if (c == '\n')
            piece = "\\n";
        else if (c == '\t')
            piece = "\\t";
        else if (quoted && (c == '"' || c == '\\'))
            piece = std::string("\\") + char(c);
        else if (c < 0x20 || c == 0x7F) {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02X", c);
            piece = b;
        } else if (c < 0x80) {
            piece = std::string(1, char(c));
        } else if (size_t n = utf8SequenceLength(s, i)) {
            used = n;
            const uint32_t cp = codePoint(s, i, n);
            if (invisibleControl(cp)) {
                char b[12];
                std::snprintf(b, sizeof b, "\\u%04X", static_cast<unsigned>(cp));
                piece = b;
            } else {
                piece = s.substr(i, n);
            }
        } else {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02X", c);
            piece = b;
        }
        if (out.size() + piece.size() > limit)
            break;
        out += piece;
        i += used;
    }
    return i;
}

std::string formatInputError(const std::string &file, int line, const std::string &what)
{
    std::string where = file.empty() ? std::string("<input>") : file;
    if (line > 0)
        where += ":" + std::to_string(line);
    std::string message = printable(where + ": " + what);
    if (message.size() > InputError::kMaxMessage) {
        size_t cut = InputError::kMaxMessage;
        // Not inside a UTF-8 sequence.
        while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80)
            --cut;
        message = message.substr(0, cut) + " ... (message cut)";
    }
    return message;
}

} // namespace

size_t utf8SequenceLength(const std::string &s, size_t i)
{
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    size_t n = 0;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (i + n > s.size())
        return 0;
    for (size_t k = 1; k < n; ++k)
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
    // Overlong forms and surrogates.
    if ((c == 0xE0 && byte(i + 1) < 0xA0) || (c == 0xED && byte(i + 1) > 0x9F) ||
        (c == 0xF0 && byte(i + 1) < 0x90) || (c == 0xF4 && byte(i + 1) > 0x8F))
        return 0;
    return n;
}

std::string printable(const std::string &text)
{
    std::string out;
    appendEscaped(out, text, 0, std::string::npos, false);
    return out;
}

void printWarning(const std::string &what)
{
    // On a terminal a progress line may stand unfinished (bitloop-cli search's candidate line): start the
    // warning on a clean line of its own rather than after it.
    std::fprintf(stderr, "%swarning: %s\n", ::isatty(STDERR_FILENO) ? "\r\033[K" : "",
                 printable(what).c_str());
}

std::string echo(const std::string &value, size_t max)
{
    bool plain = !value.empty() && value.size() <= max;
    for (unsigned char c : value)
        plain = plain && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          c == '.' || c == '-' || c == '+' || c == '_' || c == '/');
    if (plain)
        return value;
    std::string out = "\"";
    const size_t end = appendEscaped(out, value, 0, max + 1, true);
    out += "\"";
    if (end < value.size())
        out += "... (" + std::to_string(value.size()) + " bytes)";
    return out;
}

InputError::InputError(std::string file, int line, const std::string &what)
    : std::runtime_error(formatInputError(file, line, what)), file_(std::move(file)), line_(line),
      detail_(printable(what))
{
}

} // namespace bitloop
