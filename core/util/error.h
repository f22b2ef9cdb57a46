// Errors in user input carry the file, the line where there is one, and what was expected, so that the
// CLI can print one line and exit with status 2.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace bitloop
{

class InputError : public std::runtime_error
{
public:
    // The message is made safe to print as one line: control bytes and invalid UTF-8 are escaped (\xNN),
    // and a message longer than kMaxMessage bytes is cut.
    InputError(std::string file, int line, const std::string &what);
    const std::string &file() const { return file_; }
    int line() const { return line_; } // 1-based; 0 = unknown
    // What was wrong without the file and line (printable, not cut): for a message that names the file
    // itself, as a warning about it does.
    const std::string &detail() const { return detail_; }
    static constexpr size_t kMaxMessage = 1000;

private:
    std::string file_;
    int line_;
    std::string detail_;
};

// A value from the input as a message shows it: as it is when it is short and made of letters, digits and
// ".-+_/" only; otherwise double-quoted, with control bytes, quotes, backslashes and invalid UTF-8 escaped,
// and cut after `max` bytes ("...", then the full length). Never more than about max + 40 bytes.
std::string echo(const std::string &value, size_t max = 60);
// The length of the well-formed multi-byte UTF-8 sequence at s[i] (2 to 4), or 0 where there is none (ASCII
// included): a stray continuation byte, a truncated or overlong sequence, a surrogate, above U+10FFFF.
size_t utf8SequenceLength(const std::string &s, size_t i);
// Control bytes and invalid UTF-8 as \xNN, C1 controls and bidirectional overrides as \uNNNN, \n and \t
// escaped: text that prints on one line as it is.
std::string printable(const std::string &text);
// "warning: " and the printable text on stderr, one line: where warnings go when no caller listens. On a
// terminal the line is erased first (a progress line may stand there unfinished).
void printWarning(const std::string &what);

} // namespace bitloop
