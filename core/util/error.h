// Errors in user input carry the file, the line where there is one, and what was expected, so that the
// CLI can print one line and exit with status 2.
#pragma once

#include <stdexcept>
#include <string>

namespace bitloop
{

class InputError : public std::runtime_error
{
public:
    InputError(std::string file, int line, const std::string &what);
    const std::string &file() const { return file_; }
    int line() const { return line_; } // 1-based; 0 = unknown
private:
    std::string file_;
    int line_;
};

} // namespace bitloop
