// Command-line options shared by map and map-network: metric, strategy, threads, cache, model rules.
#pragma once

#include "args.h"
#include "mapper/cache.h"

#include <memory>

namespace bitloop::cli
{

extern const std::set<std::string> kMapperValued; // metric, strategy, budget, threads, first-psum, cache-dir
extern const std::set<std::string> kMapperFlags;  // no-cache, no-search-constraints, scale-mac-energy

MapperOptions resolveMapperOptions(const Args &args);
// The cache to use, or null with --no-cache.
std::unique_ptr<MapperCache> openCache(const Args &args);
ModelOptions resolveModelOptions(const Args &args);

} // namespace bitloop::cli
