// An exclusive advisory lock on a file, held for the life of the object: one writer per run directory.
// flock(2): the kernel drops the lock when the process ends, however it ends, so a killed writer leaves
// nothing stale to clean up; on NFS, Linux maps flock to POSIX record locks that the server arbitrates
// across hosts.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace bitloop
{

class FileLock
{
public:
    // Takes the lock on `path` (creating the file) and writes "pid P on HOST since TIME" into it, for a
    // process that is refused to name. Null when another open file holds it (another process, or another
    // FileLock of this one); `holder` then gets that text ("" when the holder has not written it yet).
    // A probe by holder() at the same instant is waited out (up to half a second). std::runtime_error
    // naming the file when it cannot be created or locked at all, or is a symbolic link or not a plain file
    // (it is truncated and written: a link must not carry that to another file).
    static std::unique_ptr<FileLock> tryAcquire(const std::string &path, std::string *holder = nullptr);
    // Who holds the lock on `path` now (the text its holder wrote), or nullopt when nobody does or there is
    // no such file. Takes no lock that outlives the call.
    static std::optional<std::string> holder(const std::string &path);

    ~FileLock();
    FileLock(const FileLock &) = delete;
    FileLock &operator=(const FileLock &) = delete;

private:
    explicit FileLock(int fd) : fd_(fd) {}
    int fd_;
};

} // namespace bitloop
