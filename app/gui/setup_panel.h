// What to explore: the architecture (a preset or a Bitloop / Timeloop file) with a view of its hierarchy,
// the network, the accuracy side (a checkpoint written by `bitloop-cli train`, an evaluator, and the
// supernet that makes accuracy cheap, trained here or by `bitloop-cli train-supernet`),
// objectives and constraints, and the search's size and seed. The panel's state is an argument list for
// `bitloop-cli search`, shown so that any run can be repeated from the command line.
#pragma once

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTreeWidget;

namespace bitloop::gui
{

class SetupPanel : public QWidget
{
    Q_OBJECT

public:
    explicit SetupPanel(QWidget *parent = nullptr);

    // The arguments of `bitloop-cli search` for the current settings (without the command name).
    QStringList arguments() const;
    // Shows a run's settings (the arguments it was started with); options without a field of their own
    // (--supernet FILE, --epochs N, --max-evaluations N, ...) are kept in Other options, so that Start
    // repeats the run.
    void setArguments(const QStringList &arguments);
    void setOutputDirectory(const QString &dir);
    QString outputDirectory() const;
    // Also chooses the built-in network and width the checkpoint was trained as, when it is one.
    void setCheckpoint(const QString &path);
    void setSearchSize(int population, int generations);
    void setArchitecture(const QString &presetOrFile);
    void setNetwork(const QString &nameOrFile, double width, int resolution);
    QString architectureError() const { return archError_; }
    // Checks the fields a search needs before Start: each field at fault is marked (red border, the
    // message as its tooltip) and the first message, in the field's own words ("Allowed bits: 'x' is not
    // a number"), is returned; empty when the search may start. A marked field is cleared when edited.
    QString validate();
    // Where the architecture's level table stands: its rows, or the loader's message (file and line)
    // when the architecture cannot be read.
    QLabel *architectureMessage() const { return archMessage_; }
    // While the baseline trains, its button cancels it and shows `status`.
    void setTrainingBaseline(bool training, const QString &status = {});
    // While a supernet trains, its button cancels it and shows `status`.
    void setTrainingSupernet(bool training, const QString &status = {});
    QString checkpoint() const;
    QString evaluator() const;
    // Pins for the next search: "LAYER:W:A" (bits) and "LAYER:FILE" (a Bitloop mapping file).
    void addPin(const QString &pin);
    void addMappingPin(const QString &pin);
    // Start search and Open run…: a row the window keeps in view below the scrolling settings.
    QWidget *runButtons() const { return runButtons_; }
    QPushButton *startButton() const { return start_; }

Q_SIGNALS:
    void startRequested();
    void openRunRequested();
    void trainBaselineRequested();
    void cancelBaselineRequested(); // the baseline button clicked while it trains
    void trainSupernetRequested();  // for the checkpoint shown
    void cancelSupernetRequested();

private:
    void updateHierarchy();
    void updateCommandLine();
    void updateSupernetChoice();     // the supernet evaluator is the default where the checkpoint has one
    void updateEvaluatorFields();    // fields that only some evaluators read are enabled with them
    bool fineTunes() const;          // qat-short or qat
    bool startsFromSupernet() const; // fine-tunes, from the checkpoint's supernet (--start supernet)
    QString supernetFile() const;    // --supernet FILE in Other options, else beside the checkpoint
    void markField(QWidget *field, const QString &message); // empty message: unmark
    // Which tensors a list of widths is for: the shared Allowed bits, or one tensor's own set.
    enum class WidthsFor { Both, Weights, Activations };
    QString checkWidths(const QLineEdit *field, const QString &what, WidthsFor tensors) const;
    QString checkPins() const;
    QString checkPopulation() const;
    QString checkOtherOptions() const;
    QStringList otherOptions() const; // Other options, split as a shell would (double quotes)

    // Each storage level's word, from the architecture shown: no allowed width may be wider.
    struct Word {
        QString level;
        int bits = 0;
        bool weights = false, activations = false;
    };
    std::vector<Word> words_;

    QComboBox *arch_, *network_, *evaluator_, *metric_, *fineTuneStart_;
    QDoubleSpinBox *width_, *maxError_;
    QSpinBox *resolution_, *classes_, *population_, *generations_, *seed_, *steps_, *threads_, *limit_,
        *torchThreads_, *bnBatches_;
    QLineEdit *checkpoint_, *dataset_, *outDir_, *warmStart_, *allowedBits_, *weightBits_, *activationBits_,
        *pins_, *mappingPins_, *maxMemory_, *maxEnergy_, *otherOptions_;
    QCheckBox *objError_, *objEnergy_, *objMemory_, *objEdp_, *objCycles_, *useMaxError_;
    QTreeWidget *hierarchy_;
    QLabel *commandLine_, *archMessage_;
    QPushButton *start_, *trainBaseline_, *trainSupernet_;
    QWidget *runButtons_;
    QString archError_;
    bool supernetTraining_ = false;
    bool baselineTraining_ = false;
};

} // namespace bitloop::gui
