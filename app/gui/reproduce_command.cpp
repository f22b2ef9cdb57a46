#include "reproduce_command.h"

#include "workload/mobilenet.h"

#include <QRegularExpression>

namespace bitloop::gui
{

QStringList mapNetworkArguments(const QStringList &runArguments, const Network &hardwareNetwork,
                                const QString &bitsFile)
{
    // What changes a mapping (or the network) in the run's arguments; mapper threads, the cache and the
    // search's own settings do not.
    static const QStringList valued = {"--arch",   "--ert",        "--constraints", "--network",
                                       "--width",  "--resolution", "--metric",      "--strategy",
                                       "--budget", "--first-psum", "--seed"};
    static const QStringList flags = {"--no-search-constraints", "--scale-mac-energy"};
    QStringList out;
    for (qsizetype i = 0; i < runArguments.size(); ++i) {
        const QString &a = runArguments[i];
        if (valued.contains(a) && i + 1 < runArguments.size()) {
            out << a << runArguments[i + 1];
            ++i;
        } else if (flags.contains(a)) {
            out << a;
        }
    }
    // A built-in network is sized by the search from its checkpoint: say the channels and classes it got.
    const qsizetype at = runArguments.indexOf(QStringLiteral("--network"));
    Network probe;
    if (at >= 0 && !hardwareNetwork.layers.empty() &&
        builtinNetwork(runArguments.value(at + 1).toStdString(), MobileNetOptions{}, probe)) {
        const Layer &first = hardwareNetwork.layers.front(), &last = hardwareNetwork.layers.back();
        out << "--input-channels" << QString::number(first.shape.bound(Dim::C) * first.shape.bound(Dim::G))
            << "--classes" << QString::number(last.shape.bound(Dim::M) * last.shape.bound(Dim::G));
    }
    out << "--bits" << bitsFile;
    return out;
}

QString shellCommand(const QString &program, const QStringList &arguments)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./:=,+@%-]+$"));
    QStringList words = {program};
    for (QString a : arguments)
        words << (plain.match(a).hasMatch() ? a : "'" + a.replace("'", "'\\''") + "'");
    return words.join(' ');
}

} // namespace bitloop::gui
