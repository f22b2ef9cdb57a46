#include "window_layout.h"

#include <QAction>
#include <QEvent>
#include <QMainWindow>
#include <QMenu>
#include <QSettings>
#include <QSplitter>

namespace bitloop::gui
{

namespace
{
const QString kGroup = QStringLiteral("layout/");
}

WindowLayout::WindowLayout(QMainWindow *window) : QObject(window), window_(window)
{
    window_->installEventFilter(this);
}

void WindowLayout::addSplitter(QSplitter *splitter)
{
    // Every pane may be dragged shut and opened again; nothing is lost while it is closed.
    splitter->setChildrenCollapsible(true);
    splitters_.push_back(splitter);
    built_.push_back(splitter->saveState());
}

void WindowLayout::addPanel(QWidget *panel, const QString &title)
{
    panels_.push_back({panel, title});
}

void WindowLayout::restore()
{
    QSettings s;
    if (s.contains(kGroup + "geometry"))
        window_->restoreGeometry(s.value(kGroup + "geometry").toByteArray());
    for (QSplitter *sp : splitters_)
        if (s.contains(kGroup + sp->objectName()))
            sp->restoreState(s.value(kGroup + sp->objectName()).toByteArray());
    for (const Panel &p : panels_)
        p.widget->setVisible(s.value(kGroup + "show/" + p.widget->objectName(), true).toBool());
}

void WindowLayout::save() const
{
    QSettings s;
    s.setValue(kGroup + "geometry", window_->saveGeometry());
    for (QSplitter *sp : splitters_)
        s.setValue(kGroup + sp->objectName(), sp->saveState());
    for (const Panel &p : panels_)
        s.setValue(kGroup + "show/" + p.widget->objectName(), !p.widget->isHidden());
}

void WindowLayout::reset()
{
    QSettings s;
    s.remove(QStringLiteral("layout"));
    for (size_t i = 0; i < splitters_.size(); ++i)
        splitters_[i]->restoreState(built_[i]);
    for (const Panel &p : panels_)
        p.widget->setVisible(true);
}

void WindowLayout::fillMenu(QMenu *view)
{
    for (const Panel &p : panels_) {
        QAction *a = view->addAction(p.title);
        a->setCheckable(true);
        QWidget *w = p.widget;
        // The check mark follows the panel, however it was hidden or shown.
        connect(view, &QMenu::aboutToShow, a, [a, w] { a->setChecked(!w->isHidden()); });
        connect(a, &QAction::toggled, w, [w](bool on) { w->setVisible(on); });
    }
    view->addSeparator();
    view->addAction(tr("Reset layout"), this, &WindowLayout::reset);
}

bool WindowLayout::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == window_ && event->type() == QEvent::Close)
        save();
    return QObject::eventFilter(watched, event);
}

} // namespace bitloop::gui
