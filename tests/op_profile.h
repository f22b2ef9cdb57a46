// Self time per LibTorch operator (time inside an op minus the time of the ops it called), from the legacy
// profiler's push/pop events, for the benchmark programs' --profile tables.
#pragma once

#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace bitloop::bench
{

// Runs `work` `reps` times under the profiler and prints a Markdown table of the `top` operators by self
// time per repetition, under a heading that starts with `title`.
inline void printOpProfile(const std::string &title, const std::string &unit, int reps,
                           const std::function<void()> &work, size_t top = 25)
{
    namespace prof = torch::autograd::profiler;
    prof::enableProfilerLegacy(
        torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i)
        work();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const prof::thread_event_lists lists = prof::disableProfilerLegacy();
    struct Agg {
        double self = 0.0, total = 0.0;
        int64_t calls = 0;
    };
    std::map<std::string, Agg> agg;
    for (const auto &events : lists) {
        struct Open {
            const prof::LegacyEvent *push;
            double children;
        };
        std::vector<Open> stack;
        for (const auto &e : events) {
            if (e.kind() == prof::EventKind::PushRange) {
                stack.push_back({&e, 0.0});
            } else if (e.kind() == prof::EventKind::PopRange && !stack.empty()) {
                const Open open = stack.back();
                stack.pop_back();
                const double us = open.push->cpuElapsedUs(e);
                Agg &a = agg[open.push->name()];
                a.total += us;
                a.self += us - open.children;
                ++a.calls;
                if (!stack.empty())
                    stack.back().children += us;
            }
        }
    }
    std::vector<std::pair<std::string, Agg>> rows(agg.begin(), agg.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto &a, const auto &b) { return a.second.self > b.second.self; });
    double selfSum = 0.0;
    for (const auto &r : rows)
        selfSum += r.second.self;
    std::printf("### Profile: %s: %.1f ms per %s under the profiler, %.1f ms of it in recorded operators (a "
                "custom autograd function's forward is not one)\n\n",
                title.c_str(), wall * 1e3 / reps, unit.c_str(), selfSum / 1e3 / reps);
    std::printf("| op | calls/%s | self ms/%s | total ms/%s |\n|---|---:|---:|---:|\n", unit.c_str(),
                unit.c_str(), unit.c_str());
    for (size_t i = 0; i < rows.size() && i < top; ++i)
        std::printf("| %s | %.0f | %.2f | %.2f |\n", rows[i].first.c_str(),
                    static_cast<double>(rows[i].second.calls) / reps, rows[i].second.self / 1e3 / reps,
                    rows[i].second.total / 1e3 / reps);
    std::printf("\n");
    std::fflush(stdout);
}

} // namespace bitloop::bench
