#include "setup_panel.h"

#include "io/arch_io.h"
#include "qat/session.h"
#include "search/codesign.h"
#include "workload/mobilenet.h"

#include <QAbstractSpinBox>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace bitloop::gui
{

namespace
{

QString keeps(const StorageLevel &l)
{
    QStringList t;
    for (Tensor x : kAllTensors)
        if (l.mayKeep[idx(x)])
            t << QString::fromUtf8(tensorName(x));
    return t.join(' ');
}

QString words(int64_t depth)
{
    if (depth == 0)
        return QStringLiteral("unbounded");
    return depth >= 1024 ? QString("%1 Ki words").arg(double(depth) / 1024.0, 0, 'g', 4)
                         : QString("%1 words").arg(depth);
}

QPushButton *browseButton(QWidget *parent)
{
    auto *b = new QPushButton(QStringLiteral("…"), parent);
    b->setFixedWidth(28);
    return b;
}

// Passes a wheel event on to the scroll area unless the widget has the keyboard focus.
class WheelGuard : public QObject
{
public:
    using QObject::QObject;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Wheel) {
            auto *w = qobject_cast<QWidget *>(watched);
            if (w && !w->hasFocus()) {
                event->ignore();
                return true;
            }
        }
        return QObject::eventFilter(watched, event);
    }
};

} // namespace

SetupPanel::SetupPanel(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);

    auto *hw = new QGroupBox(tr("Accelerator"), this);
    auto *hwForm = new QFormLayout(hw);
    arch_ = new QComboBox(hw);
    arch_->setEditable(true);
    for (const std::string &p : listPresets())
        arch_->addItem(QString::fromStdString(p));
    arch_->setCurrentText(QStringLiteral("eyeriss16"));
    auto *archRow = new QHBoxLayout;
    archRow->addWidget(arch_, 1);
    auto *archBrowse = browseButton(hw);
    archRow->addWidget(archBrowse);
    hwForm->addRow(tr("Architecture"), archRow);
    hierarchy_ = new QTreeWidget(hw);
    hierarchy_->setHeaderLabels({tr("Level"), tr("Instances"), tr("Size"), tr("Word"), tr("Keeps")});
    hierarchy_->setRootIsDecorated(false);
    hierarchy_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    hierarchy_->setMinimumHeight(120);
    hwForm->addRow(hierarchy_);
    // In place of the level table when the architecture cannot be read: the loader's whole message.
    archMessage_ = new QLabel(hw);
    archMessage_->setObjectName(QStringLiteral("architectureMessage"));
    archMessage_->setWordWrap(true);
    archMessage_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    archMessage_->setStyleSheet(QStringLiteral("color: #b71c1c;"));
    archMessage_->setMinimumHeight(120);
    archMessage_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    archMessage_->hide();
    hwForm->addRow(archMessage_);
    metric_ = new QComboBox(hw);
    metric_->addItems({"energy", "delay", "edp"});
    hwForm->addRow(tr("Mapper metric"), metric_);
    layout->addWidget(hw);

    auto *wl = new QGroupBox(tr("Network"), this);
    auto *wlForm = new QFormLayout(wl);
    network_ = new QComboBox(wl);
    network_->setEditable(true);
    network_->addItems({"mobilenet_v1", "mobilenet_v2"});
    auto *netRow = new QHBoxLayout;
    netRow->addWidget(network_, 1);
    auto *netBrowse = browseButton(wl);
    netRow->addWidget(netBrowse);
    wlForm->addRow(tr("Network"), netRow);
    width_ = new QDoubleSpinBox(wl);
    width_->setRange(0.05, 4.0);
    width_->setSingleStep(0.05);
    width_->setValue(1.0);
    wlForm->addRow(tr("Width multiplier"), width_);
    resolution_ = new QSpinBox(wl);
    resolution_->setRange(8, 1024);
    resolution_->setValue(224);
    resolution_->setSuffix(tr(" px (hardware side)"));
    wlForm->addRow(tr("Resolution"), resolution_);
    classes_ = new QSpinBox(wl);
    classes_->setRange(0, 100000);
    classes_->setValue(0);
    classes_->setSpecialValueText(tr("the checkpoint's (1000 without one)"));
    wlForm->addRow(tr("Classes"), classes_);
    layout->addWidget(wl);

    auto *acc = new QGroupBox(tr("Accuracy"), this);
    auto *accForm = new QFormLayout(acc);
    checkpoint_ = new QLineEdit(acc);
    checkpoint_->setPlaceholderText(
        tr("checkpoint from `bitloop-cli train` (needed for the error objective)"));
    auto *ckRow = new QHBoxLayout;
    ckRow->addWidget(checkpoint_, 1);
    auto *ckBrowse = browseButton(acc);
    ckRow->addWidget(ckBrowse);
    accForm->addRow(tr("Checkpoint"), ckRow);
    dataset_ = new QLineEdit(acc);
    dataset_->setPlaceholderText(tr("the checkpoint's (e.g. fashion-mnist, cifar10:DIR, folder:DIR)"));
    accForm->addRow(tr("Dataset"), dataset_);
    evaluator_ = new QComboBox(acc);
    evaluator_->setObjectName(QStringLiteral("evaluator"));
    evaluator_->addItems({"ptq", "qat-short", "qat", "supernet"});
    evaluator_->setToolTip(tr("ptq: about 6 s per candidate, blind below 5 bits; qat-short: about a minute, "
                              "close to QAT; qat: minutes; supernet: about a second, once a supernet has "
                              "been trained for the checkpoint (docs/benchmarks.md)"));
    accForm->addRow(tr("Evaluator"), evaluator_);
    trainSupernet_ = new QPushButton(tr("Train a supernet for this checkpoint"), acc);
    trainSupernet_->setToolTip(tr("Trains once over every per-layer width (written beside the checkpoint as "
                                  "*.supernet.pt); then the supernet evaluator answers any configuration "
                                  "in about a second"));
    accForm->addRow(trainSupernet_);
    steps_ = new QSpinBox(acc);
    steps_->setRange(1, 100000);
    steps_->setValue(200);
    accForm->addRow(tr("qat-short steps"), steps_);
    // qat-short and qat fine-tune from the float weights or from the supernet's shared weights (`--start`):
    // at 2 bits the supernet start is the better one (docs/benchmarks.md §7).
    fineTuneStart_ = new QComboBox(acc);
    fineTuneStart_->setObjectName(QStringLiteral("fineTuneStart"));
    fineTuneStart_->addItem(tr("the float weights"), QStringLiteral("float"));
    fineTuneStart_->addItem(tr("the checkpoint's supernet"), QStringLiteral("supernet"));
    fineTuneStart_->setToolTip(
        tr("Where qat-short and qat start fine-tuning (--start): the float weights "
           "with calibrated activation steps, or the supernet's weights, BatchNorm and "
           "learned steps for each layer's width (needs the supernet trained above)"));
    accForm->addRow(tr("Fine-tune from"), fineTuneStart_);
    bnBatches_ = new QSpinBox(acc);
    bnBatches_->setObjectName(QStringLiteral("bnBatches"));
    bnBatches_->setRange(-1, 100000);
    bnBatches_->setValue(-1);
    bnBatches_->setSpecialValueText(tr("the evaluator's (supernet 8, qat none)"));
    bnBatches_->setToolTip(tr("BatchNorm statistics re-estimated on this many training batches in one pass "
                              "before each candidate is measured (--bn-batches); 0: none"));
    accForm->addRow(tr("BatchNorm batches"), bnBatches_);
    // What `--limit` and `--torch-threads` say on the command line: a GUI search matches a CLI run only
    // with the same evaluation images (and a run reopened shows what it used).
    limit_ = new QSpinBox(acc);
    limit_->setObjectName(QStringLiteral("validationLimit"));
    limit_->setRange(0, 100000000);
    limit_->setValue(0);
    limit_->setSpecialValueText(tr("all"));
    limit_->setToolTip(tr("How many validation images each candidate's accuracy is measured on (--limit); "
                          "fewer is faster and noisier"));
    accForm->addRow(tr("Validation images"), limit_);
    torchThreads_ = new QSpinBox(acc);
    torchThreads_->setObjectName(QStringLiteral("accuracyThreads"));
    torchThreads_->setRange(1, 256);
    torchThreads_->setValue(2);
    torchThreads_->setToolTip(tr("Threads LibTorch uses to measure accuracy (--torch-threads)"));
    accForm->addRow(tr("Accuracy threads"), torchThreads_);
    trainBaseline_ =
        new QPushButton(tr("Train the default baseline (MobileNetV1 x0.25, Fashion-MNIST)"), acc);
    trainBaseline_->setToolTip(
        tr("About five minutes on two cores; stored in the cache and used by every later search. Click again "
           "to cancel."));
    accForm->addRow(trainBaseline_);
    layout->addWidget(acc);

    auto *obj = new QGroupBox(tr("Objectives and constraints"), this);
    auto *objForm = new QFormLayout(obj);
    auto *objRow = new QHBoxLayout;
    objError_ = new QCheckBox(tr("error"), obj);
    objEnergy_ = new QCheckBox(tr("energy"), obj);
    objMemory_ = new QCheckBox(tr("memory"), obj);
    objEdp_ = new QCheckBox(tr("EDP"), obj);
    objCycles_ = new QCheckBox(tr("cycles"), obj);
    objEnergy_->setChecked(true);
    objMemory_->setChecked(true);
    for (QCheckBox *c : {objError_, objEnergy_, objMemory_, objEdp_, objCycles_})
        objRow->addWidget(c);
    objForm->addRow(objRow);
    auto *errRow = new QHBoxLayout;
    useMaxError_ = new QCheckBox(tr("error at most"), obj);
    maxError_ = new QDoubleSpinBox(obj);
    maxError_->setRange(0, 1);
    maxError_->setSingleStep(0.01);
    maxError_->setValue(0.2);
    errRow->addWidget(useMaxError_);
    errRow->addWidget(maxError_);
    objForm->addRow(errRow);
    maxMemory_ = new QLineEdit(obj);
    maxMemory_->setPlaceholderText(tr("no bound"));
    objForm->addRow(tr("Memory at most (bytes)"), maxMemory_);
    maxEnergy_ = new QLineEdit(obj);
    maxEnergy_->setPlaceholderText(tr("no bound"));
    objForm->addRow(tr("Energy at most (µJ)"), maxEnergy_);
    allowedBits_ = new QLineEdit(QStringLiteral("2,3,4,5,6,7,8"), obj);
    allowedBits_->setObjectName(QStringLiteral("allowedBits"));
    objForm->addRow(tr("Allowed bits"), allowedBits_);
    // Each tensor's own set (--allowed-weight-bits / --allowed-activation-bits); empty: Allowed bits.
    weightBits_ = new QLineEdit(obj);
    weightBits_->setPlaceholderText(tr("as Allowed bits; e.g. 8"));
    objForm->addRow(tr("Weight bits"), weightBits_);
    activationBits_ = new QLineEdit(obj);
    activationBits_->setPlaceholderText(tr("as Allowed bits; e.g. 3,4,5,6,7,8"));
    objForm->addRow(tr("Activation bits"), activationBits_);
    pins_ = new QLineEdit(obj);
    pins_->setPlaceholderText(tr("e.g. 1:8:8 28:8:8 (layer:weight:activation)"));
    objForm->addRow(tr("Pinned layers"), pins_);
    mappingPins_ = new QLineEdit(obj);
    mappingPins_->setPlaceholderText(tr("layer:mapping.yaml, from the layer table's menu"));
    objForm->addRow(tr("Pinned mappings"), mappingPins_);
    layout->addWidget(obj);

    auto *run = new QGroupBox(tr("Search"), this);
    auto *runForm = new QFormLayout(run);
    population_ = new QSpinBox(run);
    population_->setRange(2, 100000);
    population_->setValue(20);
    runForm->addRow(tr("Population"), population_);
    generations_ = new QSpinBox(run);
    generations_->setRange(1, 1000000);
    generations_->setValue(10);
    runForm->addRow(tr("Generations"), generations_);
    seed_ = new QSpinBox(run);
    seed_->setRange(0, 1 << 30);
    seed_->setValue(1);
    runForm->addRow(tr("Seed"), seed_);
    threads_ = new QSpinBox(run);
    threads_->setRange(1, 256);
    threads_->setValue(2);
    runForm->addRow(tr("Mapper threads"), threads_);
    outDir_ = new QLineEdit(run);
    auto *outRow = new QHBoxLayout;
    outRow->addWidget(outDir_, 1);
    auto *outBrowse = browseButton(run);
    outRow->addWidget(outBrowse);
    runForm->addRow(tr("Run folder"), outRow);
    // --warm-start: refine a region of an earlier front (a tighter bound, other objectives).
    warmStart_ = new QLineEdit(run);
    warmStart_->setPlaceholderText(tr("none: uniform and random configurations"));
    warmStart_->setToolTip(tr("An earlier run whose configurations start this search, those that best meet "
                              "its objectives and bounds first"));
    auto *warmRow = new QHBoxLayout;
    warmRow->addWidget(warmStart_, 1);
    auto *warmBrowse = browseButton(run);
    warmRow->addWidget(warmBrowse);
    runForm->addRow(tr("Start from run"), warmRow);
    // The search's options that have no field here: a reopened run keeps them, a user may add them.
    otherOptions_ = new QLineEdit(run);
    otherOptions_->setPlaceholderText(tr("none, e.g. --max-evaluations 1000 --supernet FILE --epochs 2"));
    otherOptions_->setToolTip(tr("Options of bitloop-cli search and its accuracy options that have no field "
                                 "above, passed as written (double quotes around a value with spaces)"));
    runForm->addRow(tr("Other options"), otherOptions_);
    layout->addWidget(run);

    // Fields Start checks (validate()) are marked by a dynamic property; the border says which.
    arch_->setObjectName(QStringLiteral("architecture"));
    allowedBits_->setObjectName(QStringLiteral("allowedBits"));
    weightBits_->setObjectName(QStringLiteral("weightBits"));
    activationBits_->setObjectName(QStringLiteral("activationBits"));
    pins_->setObjectName(QStringLiteral("pins"));
    maxMemory_->setObjectName(QStringLiteral("maxMemory"));
    maxEnergy_->setObjectName(QStringLiteral("maxEnergy"));
    outDir_->setObjectName(QStringLiteral("runFolder"));
    warmStart_->setObjectName(QStringLiteral("warmStart"));
    otherOptions_->setObjectName(QStringLiteral("otherOptions"));
    population_->setObjectName(QStringLiteral("population"));
    setStyleSheet(QStringLiteral("QLineEdit[invalid=\"true\"], QComboBox[invalid=\"true\"], "
                                 "QSpinBox[invalid=\"true\"] "
                                 "{ border: 2px solid #d32f2f; border-radius: 3px; }"));

    commandLine_ = new QLabel(this);
    commandLine_->setWordWrap(true);
    commandLine_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    commandLine_->setStyleSheet(QStringLiteral("font-family: monospace; color: #555;"));
    layout->addWidget(commandLine_);

    // Not in this panel's layout: the window places the row where it stays visible however far the
    // settings are scrolled (issue 15: Start search was below the fold at 1280x720).
    runButtons_ = new QWidget(this);
    auto *buttons = new QHBoxLayout(runButtons_);
    buttons->setContentsMargins(0, 0, 0, 0);
    start_ = new QPushButton(tr("Start search"), runButtons_);
    start_->setDefault(true);
    auto *open = new QPushButton(tr("Open run…"), runButtons_);
    buttons->addWidget(start_);
    buttons->addWidget(open);
    runButtons_->hide(); // shown where the window puts it
    layout->addStretch(1);

    // A wheel over a spin box or a drop-down must scroll the panel, not change a setting the user
    // never clicked (Generations fell to 1 that way): they take the wheel only once focused.
    auto *wheelGuard = new WheelGuard(this);
    for (QWidget *w : findChildren<QWidget *>()) {
        if (qobject_cast<QAbstractSpinBox *>(w) || qobject_cast<QComboBox *>(w)) {
            w->setFocusPolicy(Qt::StrongFocus);
            w->installEventFilter(wheelGuard);
        }
    }

    connect(start_, &QPushButton::clicked, this, &SetupPanel::startRequested);
    connect(trainBaseline_, &QPushButton::clicked, this, [this] {
        if (baselineTraining_)
            Q_EMIT cancelBaselineRequested();
        else
            Q_EMIT trainBaselineRequested();
    });
    connect(trainSupernet_, &QPushButton::clicked, this, [this] {
        if (supernetTraining_)
            Q_EMIT cancelSupernetRequested();
        else
            Q_EMIT trainSupernetRequested();
    });
    connect(checkpoint_, &QLineEdit::textChanged, this, [this] { updateSupernetChoice(); });
    connect(open, &QPushButton::clicked, this, &SetupPanel::openRunRequested);
    connect(arch_, &QComboBox::currentTextChanged, this, [this] { updateHierarchy(); });
    connect(archBrowse, &QPushButton::clicked, this, [this] {
        const QString f =
            QFileDialog::getOpenFileName(this, tr("Architecture"), {}, tr("YAML (*.yaml *.yml)"));
        if (!f.isEmpty())
            arch_->setCurrentText(f);
    });
    // The width multiplier and the resolution size the built-in MobileNets; a file gives its own sizes.
    connect(network_, &QComboBox::currentTextChanged, this, [this](const QString &name) {
        Network probe;
        const bool builtin = builtinNetwork(name.toStdString(), MobileNetOptions{}, probe);
        width_->setEnabled(builtin);
        resolution_->setEnabled(builtin);
        resolution_->setSuffix(builtin ? tr(" px (hardware side)") : tr(" px (unused: the file's sizes)"));
    });
    connect(netBrowse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Network"), {},
                                                       tr("Networks (*.yaml *.yml *.onnx);;All (*)"));
        if (!f.isEmpty())
            network_->setCurrentText(f);
    });
    connect(ckBrowse, &QPushButton::clicked, this, [this] {
        const QString f =
            QFileDialog::getOpenFileName(this, tr("Checkpoint"), {}, tr("Checkpoints (*.pt);;All (*)"));
        if (!f.isEmpty())
            setCheckpoint(f);
    });
    connect(outBrowse, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Run folder"));
        if (!d.isEmpty())
            outDir_->setText(d);
    });
    connect(warmBrowse, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Start from run"));
        if (!d.isEmpty())
            warmStart_->setText(d);
    });
    for (QLineEdit *e : {checkpoint_, dataset_, outDir_, warmStart_, allowedBits_, weightBits_,
                         activationBits_, pins_, mappingPins_, maxMemory_, maxEnergy_, otherOptions_})
        connect(e, &QLineEdit::textChanged, this, [this, e] {
            markField(e, {}); // edited: the old complaint no longer applies
            updateCommandLine();
        });
    for (QComboBox *c : {arch_, network_, evaluator_, metric_, fineTuneStart_})
        connect(c, &QComboBox::currentTextChanged, this, [this] { updateCommandLine(); });
    connect(evaluator_, &QComboBox::currentTextChanged, this, [this] { updateEvaluatorFields(); });
    connect(fineTuneStart_, &QComboBox::currentTextChanged, this, [this] { markField(fineTuneStart_, {}); });
    for (QSpinBox *s : {resolution_, classes_, population_, generations_, seed_, steps_, threads_, limit_,
                        torchThreads_, bnBatches_})
        connect(s, qOverload<int>(&QSpinBox::valueChanged), this, [this, s] {
            markField(s, {});
            updateCommandLine();
        });
    for (QDoubleSpinBox *s : {width_, maxError_})
        connect(s, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this] { updateCommandLine(); });
    for (QCheckBox *c : {objError_, objEnergy_, objMemory_, objEdp_, objCycles_, useMaxError_})
        connect(c, &QCheckBox::toggled, this, [this] { updateCommandLine(); });

    setOutputDirectory(QDir::home().filePath(QStringLiteral("bitloop-runs/run-1")));
    updateHierarchy();
    updateSupernetChoice();
    updateEvaluatorFields();
}

bool SetupPanel::fineTunes() const
{
    const QString e = evaluator_->currentText();
    return e == QLatin1String("qat-short") || e == QLatin1String("qat");
}

bool SetupPanel::startsFromSupernet() const
{
    return fineTunes() && fineTuneStart_->currentData().toString() == QLatin1String("supernet");
}

QString SetupPanel::supernetFile() const
{
    const QStringList o = otherOptions();
    if (const qsizetype i = o.indexOf(QLatin1String("--supernet")); i >= 0 && i + 1 < o.size())
        return o[i + 1];
    return QString::fromStdString(qat::defaultSupernetPath(checkpoint().toStdString()));
}

void SetupPanel::updateEvaluatorFields()
{
    steps_->setEnabled(evaluator_->currentText() == QLatin1String("qat-short"));
    fineTuneStart_->setEnabled(fineTunes());
    bnBatches_->setEnabled(evaluator_->currentText() != QLatin1String("ptq"));
}

void SetupPanel::updateSupernetChoice()
{
    const QString ck = checkpoint_->text().trimmed();
    trainSupernet_->setEnabled(supernetTraining_ || !ck.isEmpty());
    if (!ck.isEmpty() && QFileInfo::exists(supernetFile()))
        evaluator_->setCurrentText(QStringLiteral("supernet"));
    else if (evaluator_->currentText() == QLatin1String("supernet"))
        evaluator_->setCurrentText(QStringLiteral("ptq"));
}

void SetupPanel::setTrainingSupernet(bool training, const QString &status)
{
    supernetTraining_ = training;
    start_->setEnabled(!training);
    trainSupernet_->setText(!status.isEmpty() ? status : tr("Train a supernet for this checkpoint"));
    updateSupernetChoice();
}

QString SetupPanel::checkpoint() const
{
    return checkpoint_->text().trimmed();
}

QString SetupPanel::evaluator() const
{
    return evaluator_->currentText();
}

void SetupPanel::updateHierarchy()
{
    hierarchy_->clear();
    archError_.clear();
    words_.clear();
    try {
        const Architecture a = loadArchitecture(arch_->currentText().toStdString());
        for (const StorageLevel &l : a.levels)
            words_.push_back({QString::fromStdString(l.name), l.wordBits, l.mayKeep[idx(Tensor::Weights)],
                              l.mayKeep[idx(Tensor::Inputs)] || l.mayKeep[idx(Tensor::Outputs)]});
        // Outermost first, as architects draw it.
        for (int i = a.numLevels() - 1; i >= 0; --i) {
            const StorageLevel &l = a.levels[static_cast<size_t>(i)];
            hierarchy_->addTopLevelItem(
                new QTreeWidgetItem({QString::fromStdString(l.name), QString::number(l.instances),
                                     words(l.depth), QString("%1 b").arg(l.wordBits), keeps(l)}));
        }
        hierarchy_->addTopLevelItem(new QTreeWidgetItem({QStringLiteral("MACs"),
                                                         QString::number(a.mac.instances),
                                                         {},
                                                         QString("%1 b").arg(a.mac.nativeBits),
                                                         {}}));
    } catch (const std::exception &e) {
        archError_ = QString::fromUtf8(e.what());
    }
    // A message in one cell of the level table was cut off at its width: it takes the table's place.
    hierarchy_->setVisible(archError_.isEmpty());
    archMessage_->setVisible(!archError_.isEmpty());
    archMessage_->setText(archError_.isEmpty() ? QString()
                                               : tr("Cannot read the architecture:\n%1").arg(archError_));
    markField(arch_, archError_.isEmpty() ? QString() : tr("Architecture: %1").arg(archError_));
    updateCommandLine();
}

void SetupPanel::markField(QWidget *field, const QString &message)
{
    const bool invalid = !message.isEmpty();
    if (field->property("invalid").toBool() == invalid && (!invalid || field->toolTip() == message))
        return;
    if (invalid && !field->property("invalid").toBool())
        field->setProperty("plainToolTip", field->toolTip());
    field->setToolTip(invalid ? message : field->property("plainToolTip").toString());
    field->setProperty("invalid", invalid);
    // A dynamic property is matched by the style sheet only when the widget is polished again.
    field->style()->unpolish(field);
    field->style()->polish(field);
    field->update();
}

namespace
{

// The widths QAT can train (the search's own rule, search/codesign.cpp): 2..8 bits, or 16 / 32 left
// unquantized.
bool trainableWidth(int b)
{
    return (b >= 2 && b <= 8) || b == 16 || b == 32;
}

// A whole decimal integer (no sign, no spaces inside), as the CLI reads it.
bool parseWidth(const QString &text, int &value)
{
    bool ok = false;
    value = text.toInt(&ok);
    return ok && !text.isEmpty() && !text.startsWith('+') && !text.startsWith('-');
}

// The widths a field lists (unparsable entries left out: their own check reports them).
std::vector<int> widthsIn(const QLineEdit *field)
{
    std::vector<int> widths;
    for (const QString &part : field->text().split(',', Qt::SkipEmptyParts)) {
        int b = 0;
        if (parseWidth(part.trimmed(), b))
            widths.push_back(b);
    }
    return widths;
}

} // namespace

QString SetupPanel::checkWidths(const QLineEdit *field, const QString &what, WidthsFor tensors) const
{
    const QStringList parts = field->text().split(',');
    if (field->text().trimmed().isEmpty())
        return tensors == WidthsFor::Both ? tr("%1: give at least one width, e.g. 2,4,8").arg(what)
                                          : QString();
    const bool accuracy = objError_->isChecked() || useMaxError_->isChecked();
    // The supernet answers (or starts fine-tuning) only at the widths it was trained for. An unreadable
    // supernet is left for Start to report.
    std::vector<int> supernetBits;
    QString supernet;
    if (accuracy && !checkpoint().isEmpty() &&
        (evaluator_->currentText() == QLatin1String("supernet") || startsFromSupernet())) {
        supernet = supernetFile();
        try {
            supernetBits = qat::readSupernetInfo(supernet.toStdString()).options.allowedBits;
        } catch (const std::exception &) {
        }
    }
    // The narrowest word that may hold the tensors these widths are for (the outermost of equals, as
    // listed): weights in weight words, activations as inputs and outputs in activation words.
    const Word *narrowest = nullptr;
    for (auto w = words_.rbegin(); w != words_.rend(); ++w) {
        const bool holds = tensors == WidthsFor::Weights       ? w->weights
                           : tensors == WidthsFor::Activations ? w->activations
                                                               : w->weights || w->activations;
        if (holds && (!narrowest || w->bits < narrowest->bits))
            narrowest = &*w;
    }
    std::vector<int> seen;
    for (const QString &part : parts) {
        const QString t = part.trimmed();
        int b = 0;
        if (t.isEmpty())
            return tr("%1: an empty entry between commas (write widths like 2,4,8)").arg(what);
        if (!parseWidth(t, b))
            return tr("%1: '%2' is not a number").arg(what, t);
        if (accuracy && !trainableWidth(b))
            return tr("%1: %2 cannot be trained (2 to 8 bits, or 16 / 32 unquantized)").arg(what).arg(b);
        if (b < 1 || b > 32)
            return tr("%1: %2 is not a width (1 to 32 bits)").arg(what).arg(b);
        if (narrowest && b > narrowest->bits)
            return tr("%1: %2 is wider than the %3-bit words of %4")
                .arg(what)
                .arg(b)
                .arg(narrowest->bits)
                .arg(narrowest->level);
        if (!supernetBits.empty() &&
            std::find(supernetBits.begin(), supernetBits.end(), b) == supernetBits.end()) {
            QStringList trained;
            for (int t : supernetBits)
                trained << QString::number(t);
            return tr("%1: %2 is not a width the supernet %3 was trained for (%4)")
                .arg(what)
                .arg(b)
                .arg(supernet, trained.join(','));
        }
        if (std::find(seen.begin(), seen.end(), b) != seen.end())
            return tr("%1: %2 is given twice").arg(what).arg(b);
        seen.push_back(b);
    }
    return {};
}

QString SetupPanel::checkPopulation() const
{
    // An empty field means Allowed bits, as everywhere.
    const std::vector<int> shared = widthsIn(allowedBits_), weights = widthsIn(weightBits_),
                           activations = widthsIn(activationBits_);
    const auto uniform =
        search::uniformWidths(weights.empty() ? shared : weights, activations.empty() ? shared : activations);
    if (size_t(population_->value()) >= uniform.size())
        return {};
    QStringList list;
    for (const LayerBits &u : uniform)
        list << QStringLiteral("%1/%2").arg(u.weights).arg(u.activations);
    return tr("Population: %1 is smaller than the %2 uniform configurations every search starts from (%3); "
              "give %2 or more, or allow fewer widths")
        .arg(population_->value())
        .arg(uniform.size())
        .arg(list.join(QStringLiteral(", ")));
}

QString SetupPanel::checkPins() const
{
    const QString what = tr("Pinned layers");
    for (const QString &pin : pins_->text().split(' ', Qt::SkipEmptyParts)) {
        const QStringList f = pin.split(':');
        int v[3] = {0, 0, 0};
        if (f.size() != 3 || !parseWidth(f[0], v[0]) || !parseWidth(f[1], v[1]) || !parseWidth(f[2], v[2]))
            return tr("%1: '%2' is not layer:weight bits:activation bits (e.g. 1:8:8)").arg(what, pin);
        if (v[0] < 1)
            return tr("%1: '%2' names layer %3 (layers count from 1)").arg(what, pin).arg(v[0]);
        for (int k = 1; k < 3; ++k)
            if (v[k] < 1 || v[k] > 32)
                return tr("%1: '%2' has a width of %3 (1 to 32 bits)").arg(what, pin).arg(v[k]);
    }
    return {};
}

QString SetupPanel::validate()
{
    QString first;
    auto check = [&](QWidget *field, const QString &message) {
        markField(field, message);
        if (first.isEmpty())
            first = message;
    };
    check(arch_, archError_.isEmpty() ? QString() : tr("Architecture: %1").arg(archError_));
    auto bound = [](QLineEdit *e, const QString &what) -> QString {
        const QString t = e->text().trimmed();
        if (t.isEmpty())
            return {};
        bool ok = false;
        const double v = t.toDouble(&ok);
        if (!ok || !std::isfinite(v))
            return tr("%1: '%2' is not a number").arg(what, t);
        if (v <= 0)
            return tr("%1: %2 is not above zero").arg(what, t);
        return {};
    };
    check(maxMemory_, bound(maxMemory_, tr("Memory at most")));
    check(maxEnergy_, bound(maxEnergy_, tr("Energy at most")));
    // Allowed bits counts only for the tensors without a set of their own (as `bitloop-cli search` reads
    // them), and is checked against the words of those tensors only.
    const bool weightsShared = weightBits_->text().trimmed().isEmpty();
    const bool activationsShared = activationBits_->text().trimmed().isEmpty();
    const WidthsFor shared = weightsShared && activationsShared ? WidthsFor::Both
                             : weightsShared                    ? WidthsFor::Weights
                                                                : WidthsFor::Activations;
    check(allowedBits_, weightsShared || activationsShared
                            ? checkWidths(allowedBits_, tr("Allowed bits"), shared)
                            : QString());
    check(weightBits_, checkWidths(weightBits_, tr("Weight bits"), WidthsFor::Weights));
    check(activationBits_, checkWidths(activationBits_, tr("Activation bits"), WidthsFor::Activations));
    // Counted only from widths that passed their own checks above.
    check(population_, first.isEmpty() ? checkPopulation() : QString());
    check(pins_, checkPins());
    check(otherOptions_, checkOtherOptions());
    const bool ownSupernet = otherOptions().contains(QLatin1String("--supernet"));
    check(fineTuneStart_,
          !startsFromSupernet() || checkpoint().isEmpty() || QFileInfo::exists(supernetFile()) ? QString()
          : ownSupernet
              ? tr("Fine-tune from: the supernet %1 (Other options) does not exist").arg(supernetFile())
              : tr("Fine-tune from: %1 has no supernet beside it (train one first, or start from the "
                   "float weights)")
                    .arg(checkpoint()));
    check(outDir_,
          outDir_->text().trimmed().isEmpty() ? tr("Run folder: choose a folder for the run") : QString());
    const QString warm = warmStart_->text().trimmed();
    check(warmStart_, warm.isEmpty() || QFileInfo::exists(QDir(warm).filePath(QStringLiteral("run.sqlite")))
                          ? QString()
                          : tr("Start from run: %1 holds no search run (no run.sqlite)").arg(warm));
    return first;
}

} // namespace bitloop::gui
