#include "util/sqlite_db.h"

#include <filesystem>
#include <stdexcept>

namespace bitloop
{

std::string columnText(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? std::string(reinterpret_cast<const char *>(t), size_t(sqlite3_column_bytes(s, col)))
             : std::string();
}

void SqliteDb::open(const std::string &path, const std::string &what, Mode mode)
{
    path_ = path;
    if (mode == Mode::ReadOnly) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
            fail("cannot open " + what + " to read");
        sqlite3_busy_timeout(db_, 10000);
        return;
    }
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!dir.empty())
        std::filesystem::create_directories(dir, ec);
    if (ec)
        throw std::runtime_error(path + ": cannot create the directory " + dir.string() + ": " +
                                 ec.message());
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
        fail("cannot open " + what);
    // Before anything that takes a lock: another process may be writing.
    sqlite3_busy_timeout(db_, 10000);
    exec(mode == Mode::Wal ? "PRAGMA journal_mode=WAL" : "PRAGMA journal_mode=DELETE");
    exec(mode == Mode::Wal ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
    prepare(begin_, "BEGIN IMMEDIATE");
    prepare(commit_, "COMMIT");
    prepare(rollback_, "ROLLBACK");
}

void SqliteDb::fail(const std::string &what) const
{
    throw std::runtime_error(path_ + ": " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
}

void SqliteDb::exec(const char *sql)
{
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
        fail(std::string("cannot run '") + sql + "'");
}

void SqliteDb::prepare(Statement &s, const char *sql)
{
    if (sqlite3_prepare_v2(db_, sql, -1, &s.handle(), nullptr) != SQLITE_OK)
        fail(std::string("cannot prepare '") + sql + "'");
}

void SqliteDb::step(const Statement &s, const char *what)
{
    if (sqlite3_step(s.get()) != SQLITE_DONE) {
        sqlite3_reset(s.get());
        fail(what);
    }
    sqlite3_reset(s.get());
}

bool SqliteDb::nextRow(sqlite3_stmt *s, const std::string &what)
{
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail(what);
    return rc == SQLITE_ROW;
}

void SqliteDb::bindText(sqlite3_stmt *s, int i, const std::string &v)
{
    if (sqlite3_bind_text(s, i, v.data(), int(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        fail("cannot bind a value");
}

} // namespace bitloop
