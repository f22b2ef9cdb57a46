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
                        [--work DIR] [--model-only RUN_DIR ...] (each with its RUN_DIR-cache)
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


def measured_questions(run_dir, cache_dir):
    """Per generation of a one-process run with a fresh cache: the accuracy questions' seconds (its
    individuals' accuracy time, 0 when answered before) and the seconds of its new mapper questions. A mapper
    question's own time is the search time the cache stored with it (mapper.sqlite); the run charges each
    generation's new mappings to its candidates (mapper_seconds), so each generation gets the cache's
    questions, in order, until its charged total is reached."""
    db = sqlite3.connect(os.path.join(run_dir, "run.sqlite"))
    gens = {}
    for g, acc, mapper in db.execute("SELECT generation, accuracy_seconds, mapper_seconds FROM individuals"):
        a, m = gens.setdefault(g, ([], [0.0]))
        a.append(acc or 0.0)
        m[0] += mapper or 0.0
    rows = [r[0] for r in sqlite3.connect(os.path.join(cache_dir, "mapper.sqlite")).execute(
        "SELECT seconds FROM mapper_results ORDER BY rowid")]
    out, at = [], 0
    for g in sorted(gens):
        acc, (charged,) = gens[g]
        mapper = []
        while at < len(rows) and sum(mapper) < charged * 0.999:
            mapper.append(rows[at])
            at += 1
        out.append((acc, mapper))
    return out


def simulate(questions, workers, rank0_per_question, message):
    """A dynamic queue: the next question goes to the rank that frees first; rank 0 handles one question at
    a time (send, check and store the answer), so it is a serial server in front of the ranks."""
    free = [0.0] * workers
    rank0 = 0.0
    for c in questions:
        i = min(range(workers), key=free.__getitem__)
        start = max(free[i], rank0) + rank0_per_question
        rank0 = start
        free[i] = start + message + c
    return max(free) if questions else 0.0


def model(label, gens, population, generations, per_generation, rank0_q, message, out):
    measured_pop = max(len(a) for a, _ in gens)
    rng = random.Random(1)
    scale = population / measured_pop
    sample = []
    for g in range(generations):
        acc, mapper = gens[min(g, len(gens) - 1)]
        # This population's questions: the measured generation's, drawn again in proportion.
        qa = [rng.choice(acc) for _ in range(round(len(acc) * scale))]
        qm = [rng.choice(mapper) for _ in range(round(len(mapper) * scale))] if mapper else []
        sample.append(sorted([q for q in qa if q > 0], reverse=True) + qm)  # accuracy first, as rank 0 asks
    work = sum(sum(q) for q in sample)
    one = work + generations * per_generation  # one answering rank, no handling cost
    out.append(f"\n{label}: population {population}, {generations} generations, "
               f"{sum(map(len, sample))} questions, {work:.1f} s of question time; rank 0 "
               f"{per_generation * 1e3:.0f} ms per generation and {rank0_q * 1e3:.2f} ms per question, "
               f"{message * 1e3:.2f} ms message time")
    out.append("| ranks N | answering | wall (s) | speed-up vs 1 answering | efficiency | idle share |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    for n in [2, 8, 16, 32, 64, 128, 256]:
        w = n - 1
        wall = sum(simulate(q, w, rank0_q, message) + per_generation for q in sample)
        busy = work / (w * (wall - generations * per_generation)) if wall > generations * per_generation else 1
        out.append(f"| {n} | {w} | {wall:.1f} | {one / wall:.1f} | {one / wall / w:.2f} | {1 - busy:.2f} |")


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
    ap.add_argument("--rank0-ms", type=float, default=0.38, help="rank 0 per question, for --model-only")
    a = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    mpirun = shutil.which("mpirun")
    out = []
    runs = {}
    handling = []
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
                wall, text = run(cmd, env)
                m = re.search(r"rank 0 handled them in [0-9.]+ s \(([0-9.]+) ms each\)", text)
                if m:
                    handling.append(float(m.group(1)) * 1e-3)
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
    # Rank 0 with a core of its own (N = 2 here: with N = 3 on 2 cores it waits for a time slice).
    rank0_q = min(handling) if handling else a.rank0_ms * 1e-3
    for kind, d in runs.items():
        gens = measured_questions(d, d + "-cache")
        for pop in [40, 128, 256]:
            model(f"Model from the {kind} search ({d})", gens, pop, 20, 0.02, rank0_q, 0.0001, out)
        if kind.startswith("ptq"):  # the same search with a QAT evaluator: each accuracy question about 210 s (qat, 1 epoch)
            acc = [x for a, _ in gens for x in a if x > 0]
            factor = 210.0 / (sum(acc) / len(acc)) if acc else 1.0
            slow = [([x * factor for x in a], m) for a, m in gens]
            for pop in [40, 128]:
                model(f"Model of a qat search (the ptq search's accuracy questions x {factor:.0f})", slow, pop, 20,
                      0.02, rank0_q, 0.0001, out)
    print("\n".join(out))


if __name__ == "__main__":
    main()
