#include "util/file_lock.h"

#include "util/temp_path.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bitloop
{

namespace
{

std::string readAll(int fd)
{
    std::string text;
    char buf[256];
    for (off_t at = 0;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, at);
        if (n <= 0)
            break;
        text.append(buf, static_cast<size_t>(n));
        at += n;
        if (text.size() > 4096)
            break;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\0'))
        text.pop_back();
    return text;
}

std::string whoAmI()
{
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &utc);
    return "pid " + std::to_string(::getpid()) + " on " + hostName() + " since " + when;
}

} // namespace

std::unique_ptr<FileLock> FileLock::tryAcquire(const std::string &path, std::string *holder)
{
    // Never through a link, and only a plain file: the lock file is truncated and written, and a link planted
    // in a shared folder must not make that happen to the file it points at.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        throw std::runtime_error(
            path + ": cannot create the lock file: " +
            (errno == ELOOP ? std::string("it is a symbolic link") : std::strerror(errno)));
    struct stat st {
    };
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw std::runtime_error(path + ": the lock file is not a plain file");
    }
    // holder() probes with a shared lock for an instant: wait that out rather than refuse.
    for (int attempt = 0;; ++attempt) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        const int err = errno;
        if (err != EWOULDBLOCK && err != EINTR) {
            ::close(fd);
            throw std::runtime_error(path + ": cannot lock: " + std::strerror(err));
        }
        if (attempt == 10) {
            if (holder)
                *holder = readAll(fd);
            ::close(fd);
            return nullptr;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::string me = whoAmI() + "\n";
    // Best effort: the lock is what counts, the text only names its holder to whoever is refused.
    const bool named = ::ftruncate(fd, 0) == 0 && ::pwrite(fd, me.data(), me.size(), 0) > 0;
    static_cast<void>(named);
    return std::unique_ptr<FileLock>(new FileLock(fd));
}

std::optional<std::string> FileLock::holder(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return std::nullopt;
    std::optional<std::string> who;
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0)
        ::flock(fd, LOCK_UN);
    else if (errno == EWOULDBLOCK)
        who = readAll(fd);
    ::close(fd);
    return who;
}

FileLock::~FileLock()
{
    ::close(fd_); // closing the last descriptor of the open file releases the lock
}

} // namespace bitloop
