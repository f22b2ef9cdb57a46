// Any plot of the explorer as a PNG, PDF or SVG file (by the path's extension), written to path + ".tmp"
// and renamed, so a failed export never leaves a half-written file.
#pragma once

#include <QString>

class QCustomPlot;

namespace bitloop::gui
{

// width / height 0: the plot's size on screen. `scale` multiplies a PNG's pixels (2: a 2x picture of the
// same layout, for slides and print); vector formats ignore it. False (and no file) on an unknown extension
// or a write error.
bool exportPlotImage(QCustomPlot &plot, const QString &path, int width = 0, int height = 0,
                     const QString &title = QStringLiteral("Bitloop"), double scale = 1.0);

} // namespace bitloop::gui
