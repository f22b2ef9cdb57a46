#!/usr/bin/env python3
"""The MPI search's scaling (issue 12, docs/scaling.md): measured, then modelled.

Measured: the same search with N = 1 (one process, as `bitloop-cli search` runs without MPI) and N = 2, 3
(mpirun --oversubscribe -np N: rank 0 runs NSGA-II, N - 1 ranks answer), each into a fresh run directory
and cache, for a ptq search and a hardware-only search: wall time, speed-up against N = 1, efficiency
(speed-up / N), and whether the front is byte-identical to N = 1's.

Modelled: from the per-candidate costs the one-process runs stored (run.sqlite: each individual's accuracy
and new-mapping seconds), the wall time of G generations of population P on W = N - 1 answering ranks,
each generation's questions handed out from a dynamic queue in order (each to the rank that frees first)
plus rank 0's per-generation time (NSGA-II, storing, the final costing) and a per-question message time;
printed for N = 8 .. 256 with the idle share of the answering ranks.

usage: bench_scaling.py BITLOOP_CLI --checkpoint CK.pt [--ranks 1,2,3] [--generations 4] [--population 12]
                        [--work DIR] [--model-only RUN_DIR ...]
"""
import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time


def run(cmd, env):
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return wall, p.stdout


def search_args(kind, a, out, cache):
    common = ["--arch", "eyeriss16", "--network", "mobilenet_v1", "--width", "0.25", "--allowed-bits",
              "2,3,4,5,6,7,8", "--population", str(a.population), "--generations", str(a.generations),
              "--seed", "1", "--threads", "1", "--cache-dir", cache, "--out", out]
    if kind == "ptq":
        return ["search", "--checkpoint", a.checkpoint, "--evaluator", "ptq", "--limit", str(a.limit),
                "--torch-threads", "1"] + common
    return ["search", "--objectives", "energy,cycles,memory"] + common


def per_generation_costs(run_dir):
    """Per generation: the candidates' question seconds (accuracy + new mappings) and rank 0's own time."""
    db = sqlite3.connect(os.path.join(run_dir, "run.sqlite"))
    gens = {}
    for g, acc, mapper in db.execute("SELECT generation, accuracy_seconds, mapper_seconds FROM individuals"):
        gens.setdefault(g, []).append((acc or 0.0) + (mapper or 0.0))
    algo = {g: a for g, a in db.execute("SELECT generation, algorithm_seconds FROM generations")}
    return [(gens[g], algo.get(g, 0.0)) for g in sorted(gens)]


def makespan(costs, workers, message):
    free = [0.0] * workers
    for c in costs:  # dynamic queue: the next question goes to the rank that frees first
        i = min(range(workers), key=free.__getitem__)
        free[i] += c + message
    return max(free), sum(costs)


def model(label, gens, population, generations, rank0, message, out):
    rng = random.Random(1)
    pool = [c for costs, _ in gens for c in costs if c > 0] or [0.0]
    zero_share = sum(1 for costs, _ in gens for c in costs if c == 0) / max(1, sum(len(c) for c, _ in gens))
    # Later generations repeat configurations (cached: 0 s) as often as the measured run did.
    sample = [[0.0 if rng.random() < zero_share else rng.choice(pool) for _ in range(population)]
              for _ in range(generations)]
    serial = sum(sum(g) for g in sample) + generations * rank0
    out.append(f"\n{label}: population {population}, {generations} generations, {sum(map(len, sample))} "
               f"candidates, {sum(sum(g) for g in sample):.1f} s of questions, rank 0 {rank0 * 1e3:.1f} ms "
               f"and {message * 1e3:.2f} ms per question")
    out.append("| ranks N | answering | wall (s) | speed-up vs 1 answering | efficiency | idle share |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    for n in [2, 8, 16, 32, 64, 128, 256]:
        w = n - 1
        wall = busy = 0.0
        for g in sample:
            span, work = makespan(g, w, message)
            wall += span + rank0
            busy += work
        idle = 1 - busy / (w * (wall - generations * rank0)) if wall > generations * rank0 else 0.0
        out.append(f"| {n} | {w} | {wall:.1f} | {serial / wall:.1f} | {serial / wall / w:.2f} | {idle:.2f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("--checkpoint")
    ap.add_argument("--ranks", default="1,2,3")
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--population", type=int, default=12)
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--work", default="bench-scaling")
    ap.add_argument("--model-only", nargs="*")
    a = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    mpirun = shutil.which("mpirun")
    out = []
    runs = {}
    if a.model_only is None:
        kinds = ["hardware"] + (["ptq"] if a.checkpoint else [])
        os.makedirs(a.work, exist_ok=True)
        out.append(f"Measured on {os.cpu_count()} cores: population {a.population}, {a.generations} generations, "
                   f"fresh caches per run")
        out.append("| search | ranks N | wall (s) | speed-up | efficiency | same front as N = 1 |")
        out.append("|---|---:|---:|---:|---:|---|")
        for kind in kinds:
            base = None
            for n in [int(x) for x in a.ranks.split(",")]:
                d = os.path.join(a.work, f"{kind}-{n}")
                shutil.rmtree(d, ignore_errors=True)
                shutil.rmtree(d + "-cache", ignore_errors=True)
                args = search_args(kind, a, d, d + "-cache")
                cmd = [a.cli] + args if n == 1 else [mpirun, "--oversubscribe", "-np", str(n), a.cli] + args
                wall, _ = run(cmd, env)
                front = open(os.path.join(d, "front.csv")).read()
                if base is None:
                    base = (wall, front)
                    runs[kind] = d
                speed = base[0] / wall
                out.append(f"| {kind} | {n} | {wall:.1f} | {speed:.2f} | {speed / n:.2f} | "
                           f"{'yes' if front == base[1] else 'NO'} |")
                print(out[-1], flush=True)
    else:
        runs = {os.path.basename(os.path.normpath(d)): d for d in a.model_only}
    for kind, d in runs.items():
        gens = per_generation_costs(d)
        rank0 = max(0.005, sum(al for _, al in gens) / max(1, len(gens)))
        for pop in [40, 128, 256]:
            model(f"Model from {kind} ({d})", gens, pop, 20, rank0, 0.0005, out)
    print("\n".join(out))


if __name__ == "__main__":
    main()
