#include "arch/architecture.h"

#include <sstream>

namespace bitloop
{

int Architecture::levelIndex(const std::string &name) const
{
    for (int i = 0; i < numLevels(); ++i)
        if (levels[i].name == name)
            return i;
    return -1;
}

// Fan-out between a level and the one below it follows Timeloop: the ratio of the mesh sizes.
int64_t Architecture::fanoutX(int level) const
{
    const int64_t childX = level == 0 ? mac.meshX : levels[level - 1].meshX;
    return levels[level].meshX > 0 ? childX / levels[level].meshX : childX;
}

int64_t Architecture::fanoutY(int level) const
{
    const int64_t childInstances = level == 0 ? mac.instances : levels[level - 1].instances;
    const int64_t childX = level == 0 ? mac.meshX : levels[level - 1].meshX;
    const int64_t childY = childX > 0 ? childInstances / childX : childInstances;
    return childY / levels[level].meshY();
}

void ArchConstraints::append(const ArchConstraints &other)
{
    targets.insert(targets.end(), other.targets.begin(), other.targets.end());
}

std::string Architecture::validate() const
{
    std::ostringstream err;
    if (levels.empty())
        return "an architecture needs at least one storage level";
    if (numLevels() > kMaxLevels)
        return "an architecture may have at most " + std::to_string(kMaxLevels) +
               " storage levels, this one has " + std::to_string(numLevels());
    auto checkMesh = [&](const std::string &name, int64_t instances, int64_t meshX) {
        if (instances <= 0)
            err << name << ": instances must be positive, got " << instances << "; ";
        else if (meshX <= 0 || instances % meshX != 0)
            err << name << ": meshX " << meshX << " must divide the " << instances << " instances; ";
    };
    for (int i = 0; i < numLevels(); ++i) {
        const StorageLevel &l = levels[i];
        checkMesh(l.name, l.instances, l.meshX);
        if (l.depth < 0)
            err << l.name << ": depth must not be negative; ";
        if (l.wordBits <= 0)
            err << l.name << ": word bits must be positive, got " << l.wordBits << "; ";
        if (l.blockSize <= 0)
            err << l.name << ": block size must be positive, got " << l.blockSize << "; ";
        if (l.clusterSize <= 0)
            err << l.name << ": cluster size must be positive, got " << l.clusterSize << "; ";
        if (l.readBandwidth < 0 || l.writeBandwidth < 0)
            err << l.name << ": bandwidth must not be negative; ";
        if (i + 1 < numLevels()) {
            const StorageLevel &outer = levels[i + 1];
            if (outer.instances > 0 && l.instances % outer.instances != 0)
                err << l.name << ": " << l.instances << " instances are not a multiple of the "
                    << outer.instances << " of " << outer.name << " above it; ";
        }
    }
    checkMesh(mac.name, mac.instances, mac.meshX);
    if (levels.front().instances > 0 && mac.instances % levels.front().instances != 0)
        err << mac.name << ": " << mac.instances << " MACs are not a multiple of the "
            << levels.front().instances << " instances of " << levels.front().name << "; ";
    if (levels.back().instances != 1)
        err << levels.back().name << ": the outermost level must have one instance; ";
    std::string s = err.str();
    if (s.size() >= 2)
        s.resize(s.size() - 2);
    return s;
}

} // namespace bitloop
