#include "util/temp_path.h"

#include <unistd.h>

namespace bitloop
{

std::string temporaryPathFor(const std::string &path)
{
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return path + ".tmp." + host + "." + std::to_string(::getpid());
}

} // namespace bitloop
