// A thin SQLite layer shared by Bitloop's on-disk stores (the mapper cache, the accuracy cache, search runs):
// one connection opened for concurrent use by several processes (WAL, a busy timeout), prepared
// statements that never hold a read transaction between uses, and errors that name the file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <string>

namespace bitloop
{

// One prepared statement, finalized with its owner.
class Statement
{
public:
    Statement() = default;
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    sqlite3_stmt *&handle() { return stmt_; }
    sqlite3_stmt *get() const { return stmt_; }

private:
    sqlite3_stmt *stmt_ = nullptr;
};

// One use of a statement: reset and its bindings cleared when the use ends.
struct Use {
    explicit Use(const Statement &s) : stmt(s.get()) {}
    ~Use()
    {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
    Use(const Use &) = delete;
    Use &operator=(const Use &) = delete;
    sqlite3_stmt *stmt;
};

std::string columnText(sqlite3_stmt *s, int col);

// A connection. It is closed with sqlite3_close_v2, which waits for statements still alive (its own, and
// those of the store that owns it) to be finalized, so member order does not matter.
class SqliteDb
{
public:
    SqliteDb() = default;
    ~SqliteDb() { sqlite3_close_v2(db_); }
    SqliteDb(const SqliteDb &) = delete;
    SqliteDb &operator=(const SqliteDb &) = delete;

    // How a connection journals, or that it only reads. Wal: readers never block the writer and a crash
    // never leaves a half-written row, but every process must be on one host (shared memory). Rollback:
    // as safe, and readable from other hosts over a shared file system (a run followed from a desktop).
    enum class Mode { Wal, Rollback, ReadOnly };
    // Opens `path` (creating it and its directory unless ReadOnly) with a 10 s busy timeout. `what` names
    // the store in errors ("the mapper cache").
    void open(const std::string &path, const std::string &what, Mode mode = Mode::Wal);
    sqlite3 *get() const { return db_; }
    const std::string &path() const { return path_; }

    // std::runtime_error "<path>: <what>: <sqlite's message>".
    [[noreturn]] void fail(const std::string &what) const;
    void exec(const char *sql);
    void prepare(Statement &s, const char *sql);
    // Runs a statement that returns no rows.
    void step(const Statement &s, const char *what);
    void bindText(sqlite3_stmt *s, int i, const std::string &v);
    // Steps a query: true with a row to read, false when there are no (more) rows; fails on an error.
    bool nextRow(sqlite3_stmt *s, const std::string &what);

    // BEGIN IMMEDIATE .. COMMIT around `body`, ROLLBACK when it throws. IMMEDIATE takes the write lock up
    // front, where the busy timeout applies; a deferred transaction that upgrades would fail at once when
    // another connection writes.
    template <typename F> void transaction(F &&body)
    {
        step(begin_, "cannot begin a transaction");
        try {
            body();
            step(commit_, "cannot commit");
        } catch (...) {
            sqlite3_step(rollback_.get());
            sqlite3_reset(rollback_.get());
            throw;
        }
    }

    // One connection serves one statement at a time; users lock this to share a store between threads.
    std::mutex mutex;

private:
    sqlite3 *db_ = nullptr;
    std::string path_;
    Statement begin_, commit_, rollback_;
};

} // namespace bitloop
