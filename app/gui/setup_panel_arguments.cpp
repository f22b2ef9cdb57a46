// The setup panel as a `bitloop-cli search` argument list, both ways: the fields give the arguments a run
// starts with (and the command line shown under the panel), and a reopened run's arguments fill the fields,
// so that what the panel shows is always a command that repeats the run.
#include "setup_panel.h"

#include "qat/session.h"
#include "workload/builtin_match.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSpinBox>

#include <algorithm>

namespace bitloop::gui
{

namespace
{
// The options the panel has fields for (each takes a value); any other option is an Other option.
bool hasField(const QString &option)
{
    static const QStringList fields = {"--arch",
                                       "--network",
                                       "--width",
                                       "--resolution",
                                       "--classes",
                                       "--objectives",
                                       "--max-error",
                                       "--max-memory",
                                       "--max-energy",
                                       "--checkpoint",
                                       "--evaluator",
                                       "--steps",
                                       "--start",
                                       "--bn-batches",
                                       "--dataset",
                                       "--limit",
                                       "--torch-threads",
                                       "--allowed-bits",
                                       "--allowed-weight-bits",
                                       "--allowed-activation-bits",
                                       "--pin",
                                       "--pin-mapping",
                                       "--metric",
                                       "--population",
                                       "--generations",
                                       "--seed",
                                       "--threads",
                                       "--out",
                                       "--warm-start"};
    return fields.contains(option);
}

bool isOption(const QString &token)
{
    return token.startsWith(QLatin1String("--"));
}

// As QProcess::splitCommand reads it back: double quotes around a token with spaces, a literal quote tripled.
QString quoted(QString token)
{
    if (!token.isEmpty() && !token.contains(' ') && !token.contains('"'))
        return token;
    return '"' + token.replace('"', QLatin1String("\"\"\"")) + '"';
}
} // namespace

QStringList SetupPanel::otherOptions() const
{
    return QProcess::splitCommand(otherOptions_->text());
}

QString SetupPanel::checkOtherOptions() const
{
    const QString what = tr("Other options");
    const QStringList o = otherOptions();
    if (!o.isEmpty() && !isOption(o.first()))
        return tr("%1: '%2' is not an option (options start with --)").arg(what, o.first());
    for (const QString &t : o) {
        if (t == QLatin1String("--resume"))
            return tr("%1: --resume: open the run (Open run…) and press Resume instead").arg(what);
        if (hasField(t))
            return tr("%1: %2 has its own field above").arg(what, t);
    }
    return {};
}

QStringList SetupPanel::arguments() const
{
    QStringList a = {"--arch", arch_->currentText(), "--network", network_->currentText()};
    a << "--width" << QString::number(width_->value()) << "--resolution"
      << QString::number(resolution_->value());
    if (classes_->value() > 0)
        a << "--classes" << QString::number(classes_->value());
    QStringList objectives;
    if (objError_->isChecked())
        objectives << "error";
    if (objEnergy_->isChecked())
        objectives << "energy";
    if (objEdp_->isChecked())
        objectives << "edp";
    if (objCycles_->isChecked())
        objectives << "cycles";
    if (objMemory_->isChecked())
        objectives << "memory";
    a << "--objectives" << objectives.join(',');
    if (useMaxError_->isChecked())
        a << "--max-error" << QString::number(maxError_->value());
    if (!maxMemory_->text().trimmed().isEmpty())
        a << "--max-memory" << maxMemory_->text().trimmed();
    if (!maxEnergy_->text().trimmed().isEmpty())
        a << "--max-energy" << maxEnergy_->text().trimmed();
    if (!checkpoint_->text().isEmpty()) {
        a << "--checkpoint" << checkpoint_->text() << "--evaluator" << evaluator_->currentText();
        if (evaluator_->currentText() == "qat-short")
            a << "--steps" << QString::number(steps_->value());
        if (startsFromSupernet())
            a << "--start"
              << "supernet";
        if (evaluator_->currentText() != "ptq" && bnBatches_->value() >= 0)
            a << "--bn-batches" << QString::number(bnBatches_->value());
        if (!dataset_->text().trimmed().isEmpty())
            a << "--dataset" << dataset_->text().trimmed();
        if (limit_->value() > 0)
            a << "--limit" << QString::number(limit_->value());
        a << "--torch-threads" << QString::number(torchThreads_->value());
    }
    a << "--allowed-bits" << allowedBits_->text();
    if (!weightBits_->text().trimmed().isEmpty())
        a << "--allowed-weight-bits" << weightBits_->text().trimmed();
    if (!activationBits_->text().trimmed().isEmpty())
        a << "--allowed-activation-bits" << activationBits_->text().trimmed();
    for (const QString &pin : pins_->text().split(' ', Qt::SkipEmptyParts))
        a << "--pin" << pin;
    for (const QString &pin : mappingPins_->text().split(' ', Qt::SkipEmptyParts))
        a << "--pin-mapping" << pin;
    a << "--metric" << metric_->currentText() << "--population" << QString::number(population_->value())
      << "--generations" << QString::number(generations_->value()) << "--seed"
      << QString::number(seed_->value()) << "--threads" << QString::number(threads_->value()) << "--out"
      << outDir_->text();
    if (!warmStart_->text().trimmed().isEmpty())
        a << "--warm-start" << warmStart_->text().trimmed();
    return a + otherOptions();
}

void SetupPanel::setArguments(const QStringList &arguments)
{
    auto value = [&](const QString &key) {
        const int i = arguments.indexOf(key);
        return i >= 0 && i + 1 < arguments.size() ? arguments[i + 1] : QString();
    };
    auto all = [&](const QString &key) {
        QStringList v;
        for (int i = 0; i + 1 < arguments.size(); ++i)
            if (arguments[i] == key)
                v << arguments[i + 1];
        return v.join(' ');
    };
    // Options without a field, with their values (a token that is no option follows its option).
    QStringList other;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        if (hasField(arguments[i])) {
            ++i; // and its value
            continue;
        }
        other << quoted(arguments[i]);
    }
    otherOptions_->setText(other.join(' ')); // first: the supernet it may name decides the evaluator below
    arch_->setCurrentText(value("--arch"));
    network_->setCurrentText(value("--network"));
    width_->setValue(value("--width").isEmpty() ? 1.0 : value("--width").toDouble());
    resolution_->setValue(value("--resolution").isEmpty() ? 224 : value("--resolution").toInt());
    classes_->setValue(value("--classes").toInt());
    checkpoint_->setText(value("--checkpoint"));
    dataset_->setText(value("--dataset"));
    limit_->setValue(value("--limit").toInt()); // absent: all the images
    torchThreads_->setValue(value("--torch-threads").isEmpty() ? 2 : value("--torch-threads").toInt());
    if (!value("--evaluator").isEmpty())
        evaluator_->setCurrentText(value("--evaluator"));
    fineTuneStart_->setCurrentIndex(std::max(0, fineTuneStart_->findData(value("--start"))));
    bnBatches_->setValue(value("--bn-batches").isEmpty() ? -1 : value("--bn-batches").toInt());
    const QStringList objectives =
        (value("--objectives").isEmpty() ? QString("error,energy,memory") : value("--objectives")).split(',');
    objError_->setChecked(objectives.contains("error"));
    objEnergy_->setChecked(objectives.contains("energy"));
    objMemory_->setChecked(objectives.contains("memory"));
    objEdp_->setChecked(objectives.contains("edp"));
    objCycles_->setChecked(objectives.contains("cycles"));
    useMaxError_->setChecked(!value("--max-error").isEmpty());
    if (useMaxError_->isChecked())
        maxError_->setValue(value("--max-error").toDouble());
    maxMemory_->setText(value("--max-memory"));
    maxEnergy_->setText(value("--max-energy"));
    if (!value("--allowed-bits").isEmpty())
        allowedBits_->setText(value("--allowed-bits"));
    weightBits_->setText(value("--allowed-weight-bits"));
    activationBits_->setText(value("--allowed-activation-bits"));
    pins_->setText(all("--pin"));
    mappingPins_->setText(all("--pin-mapping"));
    if (!value("--population").isEmpty())
        population_->setValue(value("--population").toInt());
    if (!value("--generations").isEmpty())
        generations_->setValue(value("--generations").toInt());
    if (!value("--seed").isEmpty())
        seed_->setValue(value("--seed").toInt());
    if (!value("--out").isEmpty())
        outDir_->setText(value("--out"));
    warmStart_->setText(value("--warm-start"));
    if (!value("--metric").isEmpty())
        metric_->setCurrentText(value("--metric"));
    if (!value("--steps").isEmpty())
        steps_->setValue(value("--steps").toInt());
    if (!value("--threads").isEmpty())
        threads_->setValue(value("--threads").toInt());
    updateCommandLine();
}

void SetupPanel::updateCommandLine()
{
    QStringList shown;
    for (const QString &a : arguments())
        shown << (a.contains(' ') || a.isEmpty() ? "'" + a + "'" : a);
    commandLine_->setText("bitloop-cli search " + shown.join(' '));
}

void SetupPanel::setTrainingBaseline(bool training, const QString &status)
{
    baselineTraining_ = training;
    start_->setEnabled(!training);
    if (!status.isEmpty())
        trainBaseline_->setText(status);
}

namespace
{
// One pin per layer ("LAYER:..."): a new one replaces the layer's old one.
void replacePin(QLineEdit *field, const QString &pin)
{
    const QString layer = pin.section(':', 0, 0);
    QStringList pins;
    for (const QString &p : field->text().split(' ', Qt::SkipEmptyParts))
        if (p.section(':', 0, 0) != layer)
            pins << p;
    pins << pin;
    field->setText(pins.join(' '));
}
} // namespace

void SetupPanel::addPin(const QString &pin)
{
    replacePin(pins_, pin);
}

void SetupPanel::addMappingPin(const QString &pin)
{
    replacePin(mappingPins_, pin);
}

void SetupPanel::setOutputDirectory(const QString &dir)
{
    outDir_->setText(dir);
}

QString SetupPanel::outputDirectory() const
{
    return outDir_->text();
}

void SetupPanel::setCheckpoint(const QString &path)
{
    checkpoint_->setText(path);
    if (path.isEmpty())
        return;
    objError_->setChecked(true);
    // The hardware side must have the checkpoint's layers: a built-in network it was trained as is chosen
    // with its width (the resolution stays the deployment one). A checkpoint that cannot be read is left
    // for Start to report, naming the file.
    try {
        if (const auto m = matchBuiltinNetwork(qat::readCheckpointInfo(path.toStdString()).network)) {
            network_->setCurrentText(QString::fromStdString(m->network));
            width_->setValue(m->widthMultiplier);
        }
    } catch (const std::exception &) {
    }
}

void SetupPanel::setSearchSize(int population, int generations)
{
    population_->setValue(population);
    generations_->setValue(generations);
}

void SetupPanel::setArchitecture(const QString &presetOrFile)
{
    arch_->setCurrentText(presetOrFile);
}

void SetupPanel::setNetwork(const QString &nameOrFile, double width, int resolution)
{
    network_->setCurrentText(nameOrFile);
    width_->setValue(width);
    resolution_->setValue(resolution);
}

} // namespace bitloop::gui
