#include "io/evaluation_report.h"

#include "arch/architecture.h"
#include "mapping/mapping.h"
#include "util/json.h"

#include <cstdio>
#include <sstream>

namespace bitloop
{

namespace
{

std::string fmt(const char *format, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

std::string pad(const std::string &s, size_t width)
{
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

} // namespace

std::string formatEvaluation(const Evaluation &ev)
{
    std::ostringstream os;
    os << (ev.valid ? "Valid mapping" : "INVALID mapping") << "   bits W" << ev.bits.of(Tensor::Weights)
       << " I" << ev.bits.of(Tensor::Inputs) << " O" << ev.bits.of(Tensor::Outputs) << "\n";
    for (const std::string &r : ev.reasons)
        os << "  - " << r << "\n";
    os << "\n"
       << pad("level", 16) << pad("tensor", 9) << pad("tile ops", 11) << pad("words", 9) << pad("k", 4)
       << pad("inst", 6) << pad("reads", 13) << pad("fills", 12) << pad("updates", 13) << pad("mcast", 7)
       << pad("energy uJ", 12) << "\n";
    for (auto it = ev.levels.rbegin(); it != ev.levels.rend(); ++it) {
        bool first = true;
        for (Tensor t : kAllTensors) {
            const TensorLevelStats &s = it->tensors[idx(t)];
            if (!s.kept)
                continue;
            os << pad(first ? it->name : "", 16) << pad(tensorName(t), 9)
               << pad(std::to_string(s.tileOperands), 11) << pad(std::to_string(s.tileWords), 9)
               << pad(std::to_string(s.packing), 4) << pad(std::to_string(s.instances), 6)
               << pad(std::to_string(s.reads), 13) << pad(std::to_string(s.fills), 12)
               << pad(std::to_string(s.updates), 13) << pad(fmt("%.2f", s.multicast), 7)
               << pad(fmt("%.3f", s.energy / 1e6), 12) << "\n";
            first = false;
        }
        if (first)
            os << pad(it->name, 16) << pad("-", 9) << "   (keeps nothing)\n";
        else if (it->capacityWords > 0)
            os << pad("", 16) << "         uses " << it->utilizedWords << " of " << it->capacityWords
               << " words per instance"
               << (it->stretch > 1 ? ", bandwidth stretches cycles x" + fmt("%.3f", it->stretch) : "")
               << "\n";
    }
    os << "  (reads, fills, updates: words per instance; energy: all instances)\n\n";
    os << "MACs           " << ev.macs << " (" << ev.macsUsed << " MACs in use)\n"
       << "Energy         " << fmt("%.3f", ev.energy / 1e6) << " uJ  (MAC " << fmt("%.3f", ev.macEnergy / 1e6)
       << " uJ)\n"
       << "pJ/MAC         " << fmt("%.4f", ev.pjPerMac()) << "\n"
       << "Cycles         " << ev.cycles << " (compute " << ev.computeCycles << ")\n"
       << "Utilization    " << fmt("%.2f", ev.utilization * 100) << " %\n"
       << "EDP            " << fmt("%.6g", ev.edp() * 1e-6) << " uJ x cycles\n"
       << "Weight memory  " << ev.weightMemoryBytes << " bytes\n";
    return os.str();
}

void writeEvaluationJson(JsonWriter &json, const Evaluation &ev)
{
    json.field("valid", ev.valid);
    json.key("reasons").beginArray();
    for (const std::string &r : ev.reasons)
        json.value(r);
    json.endArray();
    json.key("bits")
        .beginObject()
        .field("weights", ev.bits.of(Tensor::Weights))
        .field("inputs", ev.bits.of(Tensor::Inputs))
        .field("outputs", ev.bits.of(Tensor::Outputs))
        .endObject();
    json.field("energy_pj", ev.energy).field("mac_energy_pj", ev.macEnergy);
    json.field("cycles", ev.cycles).field("compute_cycles", ev.computeCycles);
    json.field("macs", ev.macs).field("macs_used", ev.macsUsed);
    json.field("pj_per_mac", ev.pjPerMac()).field("utilization", ev.utilization).field("edp", ev.edp());
    json.field("weight_memory_bytes", ev.weightMemoryBytes);
    json.key("levels").beginArray();
    for (const LevelStats &l : ev.levels) {
        json.beginObject().field("name", l.name).field("energy_pj", l.energy);
        json.field("utilized_words", l.utilizedWords).field("capacity_words", l.capacityWords);
        json.field("cycle_stretch", l.stretch);
        json.key("tensors").beginObject();
        for (Tensor t : kAllTensors) {
            const TensorLevelStats &s = l.tensors[idx(t)];
            if (!s.kept)
                continue;
            json.key(tensorName(t)).beginObject();
            json.field("tile_operands", s.tileOperands)
                .field("tile_words", s.tileWords)
                .field("packing", s.packing);
            json.field("instances", s.instances).field("reads", s.reads).field("fills", s.fills);
            json.field("updates", s.updates).field("multicast", s.multicast).field("energy_pj", s.energy);
            json.endObject();
        }
        json.endObject().endObject();
    }
    json.endArray();
}

void writeMappingJson(JsonWriter &json, const Architecture &arch, const Mapping &mapping)
{
    auto factors = [&json](const char *key, const DimArray &f) {
        json.key(key).beginObject();
        for (Dim d : kAllDims)
            if (f[idx(d)] > 1)
                json.field(std::string(1, dimLetter(d)), f[idx(d)]);
        json.endObject();
    };
    json.beginArray();
    for (size_t l = 0; l < mapping.levels.size(); ++l) {
        const LevelMapping &lm = mapping.levels[l];
        json.beginObject().field("name", l < arch.levels.size() ? arch.levels[l].name : std::string());
        factors("temporal", lm.temporal);
        std::string order;
        for (Dim d : mapping.activeTemporalOrder(static_cast<int>(l)))
            order += dimLetter(d);
        json.field("order", order);
        factors("spatial_x", lm.spatialX);
        factors("spatial_y", lm.spatialY);
        json.key("keep").beginArray();
        for (Tensor t : kAllTensors)
            if (lm.keep[idx(t)])
                json.value(tensorName(t));
        json.endArray().endObject();
    }
    json.endArray();
}

} // namespace bitloop
