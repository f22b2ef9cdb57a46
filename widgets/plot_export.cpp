#include "plot_export.h"

#include <qcustomplot.h>

#include <QFile>
#include <QFileInfo>
#include <QSvgGenerator>

#include <cstdio>

namespace bitloop::gui
{

namespace
{

bool writeSvg(QCustomPlot &plot, const QString &path, int w, int h, const QString &title)
{
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(QSize(w, h));
    svg.setViewBox(QRect(0, 0, w, h));
    svg.setTitle(title);
    svg.setDescription(QStringLiteral("Bitloop"));
    svg.setResolution(plot.logicalDpiX()); // text as large as on screen
    QCPPainter painter;
    if (!painter.begin(&svg))
        return false;
    plot.toPainter(&painter, w, h);
    return painter.end();
}

} // namespace

bool exportPlotImage(QCustomPlot &plot, const QString &path, int width, int height, const QString &title,
                     double scale)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    const QString tmp = path + QStringLiteral(".tmp");
    bool ok = false;
    if (ext == QLatin1String("png"))
        ok = plot.savePng(tmp, width, height, scale);
    else if (ext == QLatin1String("pdf"))
        ok = plot.savePdf(tmp, width, height, QCP::epAllowCosmetic, QStringLiteral("Bitloop"), title);
    else if (ext == QLatin1String("svg"))
        ok =
            writeSvg(plot, tmp, width > 0 ? width : plot.width(), height > 0 ? height : plot.height(), title);
    else
        return false;
    plot.replot(); // the exports lay the plot out at their own size
    ok = ok && QFileInfo(tmp).size() > 0 &&
         std::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()) == 0;
    if (!ok)
        QFile::remove(tmp);
    return ok;
}

} // namespace bitloop::gui
