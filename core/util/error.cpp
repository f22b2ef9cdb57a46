#include "util/error.h"

namespace bitloop
{

static std::string formatInputError(const std::string &file, int line, const std::string &what)
{
    std::string where = file.empty() ? std::string("<input>") : file;
    if (line > 0)
        where += ":" + std::to_string(line);
    return where + ": " + what;
}

InputError::InputError(std::string file, int line, const std::string &what)
    : std::runtime_error(formatInputError(file, line, what)), file_(std::move(file)), line_(line)
{
}

} // namespace bitloop
