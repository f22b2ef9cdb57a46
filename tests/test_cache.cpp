// The on-disk mapper cache: hits return the stored mapping re-evaluated at the asked bit-widths, bit-widths
// that pack the same share an entry, any change to the architecture misses, entries survive the object and
// are shared between connections and threads, damaged rows are misses, and the key's digest is SHA-256.
#include "io/arch_io.h"
#include "io/mapping_io.h"
#include "mapper/cache.h"
#include "util/sha256.h"
#include "workload/mobilenet.h"

#include <sqlite3.h>

#include <QtTest>

#include <fstream>
#include <stdexcept>
#include <thread>

using namespace bitloop;

namespace
{

// Sampling keeps each search well under a second; the cache treats it like any other strategy.
MapperOptions quickOptions()
{
    MapperOptions o;
    o.strategy = Strategy::Sampled;
    o.sampleBudget = 20000;
    o.seed = 7;
    return o;
}

const Layer &layerNamed(const Network &net, const std::string &name)
{
    for (const Layer &l : net.layers)
        if (l.name == name)
            return l;
    throw std::runtime_error("no layer " + name);
}

// Runs raw SQL on the cache's file, as another program (or a crash) might.
void rawSql(const std::string &path, const std::string &sql)
{
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char *err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const QString message = err ? QString::fromUtf8(err) : QString();
    sqlite3_free(err);
    sqlite3_close(db);
    QVERIFY2(rc == SQLITE_OK, qPrintable(message));
}

// The first column of the first row of a query, as text.
std::string rawSqlValue(const std::string &path, const std::string &sql)
{
    sqlite3 *db = nullptr;
    sqlite3_stmt *st = nullptr;
    std::string out;
    if (sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        out = reinterpret_cast<const char *>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

} // namespace

class TestCache : public QObject
{
    Q_OBJECT

    QTemporaryDir tmp_;
    Architecture arch_;
    Network net_;

    std::string freshDir(const char *name) const { return tmp_.filePath(name).toStdString(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        qputenv("BITLOOP_CACHE_DIR", tmp_.filePath("default").toUtf8());
        arch_ = loadArchitecture("eyeriss16");
        net_ = mobileNetV1();
    }

    void sha256Vectors()
    {
        // FIPS 180-4 examples (NIST's SHA256.pdf) and the empty message.
        QCOMPARE(sha256Hex("abc"),
                 std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(sha256Hex(""),
                 std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                 std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        QCOMPARE(sha256Hex(std::string(1000000, 'a')),
                 std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
        // Fed in pieces that straddle blocks, the digest is the same.
        const std::string text(300, 'x');
        Sha256 s;
        for (size_t i = 0; i < text.size(); i += 7)
            s.update(text.substr(i, 7));
        const auto d = s.finish();
        std::string hex;
        for (uint8_t b : d)
            hex += QByteArray::number(b, 16).rightJustified(2, '0').toStdString();
        QCOMPARE(hex, sha256Hex(text));
    }

    void defaultDirFollowsEnvironment()
    {
        const QByteArray own = qgetenv("BITLOOP_CACHE_DIR"), xdg = qgetenv("XDG_CACHE_HOME"),
                         home = qgetenv("HOME");
        QCOMPARE(defaultCacheDir(), tmp_.filePath("default").toStdString());
        QVERIFY(QFileInfo(tmp_.filePath("default")).isDir());
        qunsetenv("BITLOOP_CACHE_DIR");
        qputenv("XDG_CACHE_HOME", tmp_.filePath("xdg").toUtf8());
        QCOMPARE(defaultCacheDir(), tmp_.filePath("xdg/bitloop").toStdString());
        qunsetenv("XDG_CACHE_HOME");
        qputenv("HOME", tmp_.filePath("home").toUtf8());
        QCOMPARE(defaultCacheDir(), tmp_.filePath("home/.cache/bitloop").toStdString());
        QVERIFY(QFileInfo(tmp_.filePath("home/.cache/bitloop")).isDir());
        qputenv("BITLOOP_CACHE_DIR", own);
        xdg.isNull() ? qunsetenv("XDG_CACHE_HOME") : qputenv("XDG_CACHE_HOME", xdg);
        qputenv("HOME", home);
        MapperCache c;
        QCOMPARE(c.path(), tmp_.filePath("default/mapper.sqlite").toStdString());
    }

    void keyHoldsWhatChangesTheAnswer()
    {
        const ProblemShape shape = layerNamed(net_, "pw1").shape;
        const MapperOptions o = quickOptions();
        const std::string base = mapperKey(shape, arch_, BitWidths::uniform(8), o).digest;
        QCOMPARE(base.size(), size_t(64));

        MapperOptions threads = o;
        threads.threads = 3;
        QCOMPARE(mapperKey(shape, arch_, BitWidths::uniform(8), threads).digest, base);
        ProblemShape padded = shape;
        padded.wpad = padded.hpad = 1;
        QCOMPARE(mapperKey(padded, arch_, BitWidths::uniform(8), o).digest, base);
        Architecture renamed = arch_;
        renamed.name = "my-eyeriss";
        QCOMPARE(mapperKey(shape, renamed, BitWidths::uniform(8), o).digest, base);

        QCOMPARE(mapperKey(shape, arch_, BitWidths::uniform(6), o).digest, base);
        QVERIFY(mapperKey(shape, arch_, BitWidths::uniform(5), o).digest != base);
        QVERIFY(mapperKey(shape, arch_, BitWidths{{8, 8, 16}}, o).digest != base);
        MapperOptions scaled = o;
        scaled.model.scaleMacEnergy = true;
        QVERIFY(mapperKey(shape, arch_, BitWidths::uniform(8), scaled).digest != base);
        QVERIFY(mapperKey(shape, arch_, BitWidths::uniform(6), scaled).digest !=
                mapperKey(shape, arch_, BitWidths::uniform(8), scaled).digest);
        MapperOptions seeded = o;
        seeded.seed = 8;
        QVERIFY(mapperKey(shape, arch_, BitWidths::uniform(8), seeded).digest != base);
        MapperOptions metric = o;
        metric.metric = Metric::Edp;
        QVERIFY(mapperKey(shape, arch_, BitWidths::uniform(8), metric).digest != base);
        MapperOptions psum = o;
        psum.model.firstPsum = FirstPsumRule::Elide;
        QVERIFY(mapperKey(shape, arch_, BitWidths::uniform(8), psum).digest != base);
        MapperOptions relaxed = o;
        relaxed.space.searchConstraints = false;
        QVERIFY(mapperKey(shape, arch_, BitWidths::uniform(8), relaxed).digest != base);
        ProblemShape strided = shape;
        strided.wstride = 2;
        QVERIFY(mapperKey(strided, arch_, BitWidths::uniform(8), o).digest != base);

        // An exhaustive walk does not depend on the sampling budget or the seed.
        MapperOptions ex = o, ex2 = o;
        ex.strategy = ex2.strategy = Strategy::Exhaustive;
        ex2.seed = 99;
        ex2.sampleBudget = 5;
        ex2.exhaustiveLimit = 1;
        QCOMPARE(mapperKey(shape, arch_, BitWidths::uniform(8), ex).digest,
                 mapperKey(shape, arch_, BitWidths::uniform(8), ex2).digest);
    }

    void missThenHit()
    {
        MapperCache cache(freshDir("hit"));
        const ProblemShape shape = layerNamed(net_, "pw1").shape;
        const MapperOptions o = quickOptions();
        bool cached = true;
        const MapperResult first =
            findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(8), o, &cached);
        QVERIFY(!cached);
        QVERIFY(first.found);
        QCOMPARE(cache.entries(), int64_t(1));

        const MapperResult second =
            findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(8), o, &cached);
        QVERIFY(cached);
        QCOMPARE(cache.entries(), int64_t(1));
        QVERIFY(second.found);
        QCOMPARE(mappingToYaml(arch_, second.mapping), mappingToYaml(arch_, first.mapping));
        QCOMPARE(second.evaluation.energy, first.evaluation.energy);
        QCOMPARE(second.evaluation.cycles, first.evaluation.cycles);
        QVERIFY(second.evaluation.valid);
        QCOMPARE(second.validMappings, first.validMappings);
        QCOMPARE(second.visited, first.visited);
        QCOMPARE(second.seconds, first.seconds);
        QCOMPARE(second.optimal, first.optimal);
        QCOMPARE(second.strategy, first.strategy);
        QCOMPARE(second.spaceSize, first.spaceSize);
        QCOMPARE(second.note, first.note);

        // A null cache searches every time.
        findBestMappingCached(nullptr, shape, arch_, BitWidths::uniform(8), o, &cached);
        QVERIFY(!cached);
    }

    void bitWidthsThatPackAlikeShareAnEntry()
    {
        MapperCache cache(freshDir("packing"));
        const ProblemShape shape = layerNamed(net_, "dw2").shape;
        const MapperOptions o = quickOptions();
        bool cached = true;
        const MapperResult at8 =
            findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(8), o, &cached);
        QVERIFY(!cached);
        QVERIFY(at8.found);
        for (int b : {6, 7}) {
            const std::optional<MapperResult> hit = cache.lookup(shape, arch_, BitWidths::uniform(b), o);
            QVERIFY(hit);
            QCOMPARE(hit->evaluation.bits, BitWidths::uniform(b));
            QCOMPARE(mappingToYaml(arch_, hit->mapping), mappingToYaml(arch_, at8.mapping));
            // 16-bit words hold two operands of 6, 7 or 8 bits, and the MAC's energy does not scale.
            QCOMPARE(hit->evaluation.energy, at8.evaluation.energy);
            QVERIFY(hit->evaluation.weightMemoryBytes < at8.evaluation.weightMemoryBytes);
        }
        QVERIFY(!cache.lookup(shape, arch_, BitWidths::uniform(5), o));
        findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(5), o, &cached);
        QVERIFY(!cached);
        QCOMPARE(cache.entries(), int64_t(2));
    }

    void anyArchitectureChangeMisses()
    {
        MapperCache cache(freshDir("invalidate"));
        const ProblemShape shape = layerNamed(net_, "pw1").shape;
        const MapperOptions o = quickOptions();
        findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(8), o);
        QVERIFY(cache.lookup(shape, arch_, BitWidths::uniform(8), o));

        Architecture energy = arch_;
        energy.levels[1].readEnergy += 0.001;
        QVERIFY(!cache.lookup(shape, energy, BitWidths::uniform(8), o));

        QVERIFY(!arch_.constraints.targets.empty());
        Architecture constraint = arch_;
        constraint.constraints.targets.front().searchOnly =
            !constraint.constraints.targets.front().searchOnly;
        QVERIFY(!cache.lookup(shape, constraint, BitWidths::uniform(8), o));

        Architecture mac = arch_;
        mac.mac.energy *= 2;
        QVERIFY(!cache.lookup(shape, mac, BitWidths::uniform(8), o));
        QCOMPARE(cache.entries(), int64_t(1));
    }

    void entriesOutliveTheObject()
    {
        const std::string dir = freshDir("persist");
        const ProblemShape shape = layerNamed(net_, "pw1").shape;
        const MapperOptions o = quickOptions();
        MapperResult first;
        {
            MapperCache cache(dir);
            first = findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(4), o);
        }
        MapperCache reopened(dir);
        bool cached = false;
        const MapperResult again =
            findBestMappingCached(&reopened, shape, arch_, BitWidths::uniform(4), o, &cached);
        QVERIFY(cached);
        QCOMPARE(mappingToYaml(arch_, again.mapping), mappingToYaml(arch_, first.mapping));
        QCOMPARE(again.evaluation.energy, first.evaluation.energy);
    }

    void connectionsAndThreadsShareTheFile()
    {
        const std::string dir = freshDir("shared");
        const ProblemShape shape = layerNamed(net_, "pw1").shape;
        const MapperOptions o = quickOptions();
        MapperCache writer(dir), reader(dir);
        const MapperResult r = findBestMapping(shape, arch_, BitWidths::uniform(8), o);
        QVERIFY(!reader.lookup(shape, arch_, BitWidths::uniform(8), o));
        writer.store(shape, arch_, BitWidths::uniform(8), o, r);
        const std::optional<MapperResult> hit = reader.lookup(shape, arch_, BitWidths::uniform(8), o);
        QVERIFY(hit);
        QCOMPARE(mappingToYaml(arch_, hit->mapping), mappingToYaml(arch_, r.mapping));

        // Two writers at once, each with its own connection, storing different keys (seeds): all land.
        constexpr int kPerThread = 40;
        auto storeMany = [&](uint64_t firstSeed) {
            MapperCache own(dir);
            for (int i = 0; i < kPerThread; ++i) {
                MapperOptions seeded = o;
                seeded.seed = firstSeed + uint64_t(i);
                own.store(shape, arch_, BitWidths::uniform(8), seeded, r);
            }
        };
        std::thread a(storeMany, 1000), b(storeMany, 2000);
        a.join();
        b.join();
        QCOMPARE(reader.entries(), int64_t(1 + 2 * kPerThread));
        MapperOptions probe = o;
        probe.seed = 2000 + kPerThread - 1;
        QVERIFY(writer.lookup(shape, arch_, BitWidths::uniform(8), probe));

        // One object shared by threads is safe too.
        std::thread c([&] { QVERIFY(reader.lookup(shape, arch_, BitWidths::uniform(8), o)); });
        std::thread d([&] { QVERIFY(reader.lookup(shape, arch_, BitWidths::uniform(8), probe)); });
        c.join();
        d.join();

        // A cancelled search is no answer and is not stored.
        MapperResult cancelled = r;
        cancelled.cancelled = true;
        MapperOptions other = o;
        other.seed = 5;
        writer.store(shape, arch_, BitWidths::uniform(8), other, cancelled);
        QVERIFY(!reader.lookup(shape, arch_, BitWidths::uniform(8), other));
    }

    void damagedRowsAreMisses()
    {
        std::vector<std::string> warnings;
        MapperCache cache(freshDir("corrupt"), [&](const std::string &w) { warnings.push_back(w); });
        const ProblemShape shape = layerNamed(net_, "pw1").shape;
        const MapperOptions o = quickOptions();
        findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(8), o);
        const std::string key = mapperKey(shape, arch_, BitWidths::uniform(8), o).digest;

        // Mappings that do not parse, that name too few levels, whose factors do not make the layer, and
        // sound mappings whose stored figures were altered: each is detected and forgotten.
        const std::string sound = rawSqlValue(cache.path(), "SELECT mapping FROM mapper_results");
        std::string otherFactors = sound;
        otherFactors[0] = otherFactors[0] == '1' ? '2' : '1'; // the innermost level's first temporal factor
        const std::string updates[] = {
            "found = 0", // a layer with a valid mapping told as having none
            "valid = valid + 1",
            "note = 'edited'",
            "checksum = NULL",
            "mapping = '{{{ not a mapping'",
            "mapping = '1,1,1,1,1,1,1,1/1,1,1,1,1,1,1,1/1,1,1,1,1,1,1,1//111'",
            "mapping = '" + otherFactors + "'",
            "mapping = '" + sound.substr(0, sound.size() / 2) + "'",
            "energy = energy * (1 + 1e-12)",
            "cycles = cycles + 1",
        };
        for (const std::string &update : updates) {
            rawSql(cache.path(), "UPDATE mapper_results SET " + update + " WHERE key = '" + key + "'");
            QCOMPARE(cache.entries(), int64_t(1));
            warnings.clear();
            QVERIFY2(!cache.lookup(shape, arch_, BitWidths::uniform(8), o), update.c_str());
            QCOMPARE(cache.entries(), int64_t(0)); // forgotten, so the next search stores a sound one
            QCOMPARE(warnings.size(), size_t(1));  // one line says so
            QVERIFY2(warnings[0].find("damaged row") != std::string::npos, warnings[0].c_str());
            bool cached = true;
            findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(8), o, &cached);
            QVERIFY(!cached);
            QVERIFY(cache.lookup(shape, arch_, BitWidths::uniform(8), o));
        }
        rawSql(cache.path(), "UPDATE mapper_results SET strategy = 'bogus'");
        QVERIFY(!cache.lookup(shape, arch_, BitWidths::uniform(8), o));
    }

    // A pruned walk's row does not answer a question that asks for the count of valid mappings.
    void countedAndPrunedAnswersAreSeparate()
    {
        MapperCache cache(freshDir("counted"));
        const ProblemShape shape = layerNamed(net_, "pw1").shape;
        MapperOptions o = quickOptions();
        o.strategy = Strategy::Exhaustive;
        bool cached = true;
        const MapperResult pruned =
            findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(8), o, &cached);
        QVERIFY(!cached && pruned.optimal);
        QCOMPARE(pruned.validMappings, int64_t(-1));
        o.countValid = true;
        const MapperResult counted =
            findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(8), o, &cached);
        QVERIFY(!cached);
        QVERIFY(counted.validMappings > 0);
        QCOMPARE(counted.evaluation.energy, pruned.evaluation.energy);
        const MapperResult again =
            findBestMappingCached(&cache, shape, arch_, BitWidths::uniform(8), o, &cached);
        QVERIFY(cached);
        QCOMPARE(again.validMappings, counted.validMappings);
        QCOMPARE(cache.entries(), int64_t(2));
    }

    void unopenableDirectoryThrows()
    {
        const QString file = tmp_.filePath("plain-file");
        std::ofstream(file.toStdString()) << "not a directory\n";
        const std::string dir = (file + "/cache").toStdString();
        try {
            MapperCache cache(dir);
            QFAIL("no exception");
        } catch (const std::runtime_error &e) {
            QVERIFY2(std::string(e.what()).find(dir) != std::string::npos, e.what());
        }

        // A file that is not a database.
        const QString notDb = tmp_.filePath("notdb");
        QVERIFY(QDir().mkpath(notDb));
        std::ofstream((notDb + "/mapper.sqlite").toStdString()) << std::string(4096, 'z');
        try {
            MapperCache cache(notDb.toStdString());
            QFAIL("no exception");
        } catch (const std::runtime_error &e) {
            QVERIFY2(std::string(e.what()).find((notDb + "/mapper.sqlite").toStdString()) !=
                         std::string::npos,
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestCache)
#include "test_cache.moc"
