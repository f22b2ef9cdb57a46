#include "widgets/packing_text.h"

#include "model/evaluation.h"

#include <QStringList>

#include <algorithm>

namespace bitloop::gui
{

namespace
{

char tensorLetter(Tensor t)
{
    return tensorName(t)[0];
}

} // namespace

// Operands per word (floor(word bits / bits), 0 = wider than a word) of each tensor at the levels that keep
// it. The innermost keeping level's factor comes first: it sizes the tiles next to the MACs, where buffers
// are smallest; outer levels with other word widths add their factor after a slash ("W×2/4").
QString packingText(const Architecture &arch, const std::vector<std::array<bool, kNumTensors>> &keep,
                    const BitWidths &bw, QString *perLevel)
{
    QStringList parts;
    for (Tensor t : kAllTensors) {
        QStringList factors;
        int last = -1;
        for (int l = 0; l < arch.numLevels() && l < static_cast<int>(keep.size()); ++l) {
            if (!keep[l][idx(t)])
                continue;
            const int k = packingFactor(arch.levels[l].wordBits, bw.of(t));
            if (k != last)
                factors << QString::number(k);
            last = k;
        }
        if (!factors.isEmpty())
            parts << QString("%1×%2").arg(tensorLetter(t)).arg(factors.join('/'));
    }
    QStringList lines;
    for (int l = std::min(arch.numLevels(), static_cast<int>(keep.size())) - 1; l >= 0; --l) {
        QStringList kept;
        for (Tensor t : kAllTensors)
            if (keep[l][idx(t)])
                kept << QString("%1×%2")
                            .arg(tensorLetter(t))
                            .arg(packingFactor(arch.levels[l].wordBits, bw.of(t)));
        if (!kept.isEmpty())
            lines << QString("%1 (%2-bit words): %3")
                         .arg(QString::fromStdString(arch.levels[l].name))
                         .arg(arch.levels[l].wordBits)
                         .arg(kept.join(' '));
    }
    *perLevel =
        "Operands per word at each level that keeps the tensor (0: wider than a word)\n" + lines.join('\n');
    return parts.join(' ');
}

} // namespace bitloop::gui
