#include "util/temp_path.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>

#include <unistd.h>

namespace bitloop
{

std::string hostName()
{
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return host;
}

std::string temporaryPathFor(const std::string &path)
{
    return path + ".tmp." + hostName() + "." + std::to_string(::getpid());
}

int removeStaleTemporaries(const std::string &path)
{
    namespace fs = std::filesystem;
    const fs::path target(path);
    const std::string prefix = target.filename().string() + ".tmp." + hostName() + ".";
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    int removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0)
            continue;
        const std::string digits = name.substr(prefix.size());
        if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
            continue; // not a pid: not ours to judge
        const pid_t pid = static_cast<pid_t>(std::stol(digits));
        // kill(pid, 0) fails with ESRCH only when no such process exists (EPERM: it runs, as another user).
        if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        // And untouched for 10 minutes: a write takes seconds, and a machine sharing this host name (a
        // cloned VM, a container in its own pid namespace) may have a live writer behind that pid.
        std::error_code age;
        const auto written = fs::last_write_time(it->path(), age);
        if (age || fs::file_time_type::clock::now() - written < std::chrono::minutes(10))
            continue;
        std::error_code rm;
        if (fs::remove(it->path(), rm))
            ++removed;
    }
    return removed;
}

} // namespace bitloop
