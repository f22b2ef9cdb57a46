// The explorer's layout as the user leaves it: the window's geometry and every splitter's sizes are
// remembered between sessions (QSettings, under the application's name), and the side panels can be
// hidden and shown again from the View menu, or the whole layout put back as it first was.
#pragma once

#include <QObject>
#include <QString>

#include <vector>

class QMainWindow;
class QMenu;
class QSplitter;
class QWidget;

namespace bitloop::gui
{

class WindowLayout : public QObject
{
    Q_OBJECT

public:
    explicit WindowLayout(QMainWindow *window);

    // Splitters to remember, each under its objectName (which must be set and unique).
    void addSplitter(QSplitter *splitter);
    // A panel that View hides and shows, remembered too; `title` names it in the menu.
    void addPanel(QWidget *panel, const QString &title);
    // Puts back what the last session left (call once everything is added), and saves it from then on
    // whenever the window closes or save() is called.
    void restore();
    void save() const;
    // Forgets what was remembered and returns to the sizes the window was built with.
    void reset();
    void fillMenu(QMenu *view);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Panel {
        QWidget *widget;
        QString title;
    };
    QMainWindow *window_;
    std::vector<QSplitter *> splitters_;
    std::vector<Panel> panels_;
    std::vector<QByteArray> built_; // each splitter's state as built, for reset()
};

} // namespace bitloop::gui
