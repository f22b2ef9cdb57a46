// The `bitloop-cli map-network` command that gives a point's energy as the search costed it. The obvious
// command differs from the search's hardware network: a checkpoint gives it its input channels and
// classes (one channel and ten classes for the Fashion-MNIST baseline), and the last layer's outputs
// have the search's width (--last-outputs, 8 by default), so the command names them all.
#pragma once

#include "workload/layer.h"

#include <QString>
#include <QStringList>

namespace bitloop::gui
{

// map-network's arguments (without the program): the run's architecture and mapper options, its network
// with the hardware side's input channels and classes (a built-in network), and `bitsFile` (the point's
// bit-widths and the last outputs' width, as bitsFileToYaml writes them).
QStringList mapNetworkArguments(const QStringList &runArguments, const Network &hardwareNetwork,
                                const QString &bitsFile);

// `program` and `arguments` as one line a POSIX shell reads back into the same words.
QString shellCommand(const QString &program, const QStringList &arguments);

} // namespace bitloop::gui
