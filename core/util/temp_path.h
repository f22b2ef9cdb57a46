// Where a file is written before it is renamed onto its path, so that a crash never leaves it half-written.
#pragma once

#include <string>

namespace bitloop
{

// path + ".tmp." + host + "." + pid: unique to this process, so that two processes (on one machine or on
// two sharing a cache directory) writing the same file never write into each other's temporary file.
std::string temporaryPathFor(const std::string &path);

// This machine's host name, as temporary names and lock files (util/file_lock.h) record their writer.
std::string hostName();

// Removes the temporary files of `path` that processes of this host left when killed mid-write (their pid
// no longer runs, and the file is 10 minutes old); those of other hosts, of running processes, of this one
// and fresh ones are left. Best effort: it never throws, and returns how many it removed. Called after each
// successful rename onto `path`.
int removeStaleTemporaries(const std::string &path);

} // namespace bitloop
