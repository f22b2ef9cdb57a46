// Runs bitloop-cli as a user would, for the CLI test programs: the exit status, both output streams and
// a one-paragraph summary for failure messages. Every run gets BITLOOP_PRESETS and a scratch
// BITLOOP_CACHE_DIR, so that no test can read or write the user's cache.
#pragma once

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

struct CliRun {
    bool finished = false; // started, ended within the time limit and not by a signal
    int status = -1;
    QByteArray out, err;
    QString command;

    // What users may rely on: the process ends by itself with 0 (valid), 1 (invalid mapping) or 2 (bad
    // input).
    bool sane() const { return finished && status >= 0 && status <= 2; }
    QString summary() const
    {
        return QString("%1\n  finished %2, status %3\n  stderr: %4")
            .arg(command)
            .arg(finished)
            .arg(status)
            .arg(QString::fromUtf8(err));
    }
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

// A fallback cache directory for the whole program, in case a run forgets --cache-dir.
inline QTemporaryDir &fallbackCacheDir()
{
    static QTemporaryDir dir;
    return dir;
}

// Runs `program` with `args` in `env` (and `dir` when given) until it ends or 300 s pass.
inline CliRun runProgram(const QString &program, const QStringList &args, const QProcessEnvironment &env,
                         const QString &dir = {})
{
    CliRun r;
    r.command = program + " " + args.join(' ');
    QProcess p;
    p.setProcessEnvironment(env);
    if (!dir.isEmpty())
        p.setWorkingDirectory(dir);
    p.start(program, args);
    if (!p.waitForStarted(10000))
        return r;
    if (!p.waitForFinished(300000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.finished = p.exitStatus() == QProcess::NormalExit;
    r.status = p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

// A file's bytes; empty when it cannot be read (what a test compares runs and exports with).
inline QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The environment every bitloop-cli run of the tests gets.
inline QProcessEnvironment cliEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("BITLOOP_PRESETS", QStringLiteral(BITLOOP_PRESETS));
    env.insert("BITLOOP_CACHE_DIR", fallbackCacheDir().path());
    return env;
}

// Reads `p`'s standard output while it runs until it has printed `marker` ("gen   2": a generation stored);
// everything read so far, which holds `marker` unless `p` ended first.
inline QByteArray readOutputUntil(QProcess &p, const QByteArray &marker)
{
    QByteArray seen;
    while (!seen.contains(marker) && p.state() == QProcess::Running) {
        p.waitForReadyRead(200);
        seen += p.readAllStandardOutput();
    }
    return seen;
}

// Waits, while `p` runs (at most 240 s), until `dir` holds a file matching `pattern` (a fine-tuning's first
// training state, say): true when one appeared with `p` still running.
inline bool waitForFileWhileRunning(QProcess &p, const QString &dir, const QString &pattern)
{
    const QDir d(dir);
    QElapsedTimer waited;
    waited.start();
    while (p.state() == QProcess::Running && waited.elapsed() < 240000 &&
           d.entryList({pattern}, QDir::Files).isEmpty())
        p.waitForFinished(10);
    return p.state() == QProcess::Running && !d.entryList({pattern}, QDir::Files).isEmpty();
}

inline CliRun runCli(const QStringList &args)
{
    CliRun r = runProgram(QStringLiteral(BITLOOP_CLI), args, cliEnvironment());
    r.command = "bitloop-cli " + args.join(' ');
    return r;
}

// Runs bitloop-cli into `r` and fails the calling test unless it ended by itself with status 0, 1 or 2.
#define RUN_CLI(r, ...)                                                                                      \
    do {                                                                                                     \
        r = runCli(__VA_ARGS__);                                                                             \
        QVERIFY2(r.sane(), qPrintable(r.summary()));                                                         \
    } while (0)
