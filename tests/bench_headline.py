#!/usr/bin/env python3
"""The co-design search's headline figures (docs/benchmarks.md) from a finished run directory:
1. uniform 8/8 with its best mapping: error, energy, memory;
2. the lowest-energy point whose validation accuracy is within 0.5 points of uniform 8/8, and its saving;
3. that point (and 8/8) with every layer's mapping reused from 16 bits instead of searched for its widths;
4. the run's wall time and how it splits between mapper, accuracy and the algorithm.
Test-set accuracies of the chosen points are measured with the run's evaluator and the run's settings for it
(`accuracy --test`; before 2026-12-02 only its --supernet was passed, so a run searched with, say,
--bn-batches 4 had its test figures measured at the defaults).
With --confirm EVALUATOR (for example qat, with --confirm-args "--epochs 1 --train-limit 20000"), the
point is instead chosen on the test set as the study does: the run's front points within 0.5 validation
points of 8/8 are re-measured with that evaluator on the test set, lowest energy first, and the first
within 0.5 test points of 8/8's re-measured accuracy is the answer (at most --tries of them).
A screening evaluator can be pessimistic at low widths (the supernet at 4-bit activations, docs/benchmarks.md
§9), so --slack P widens the candidates to the points within P validation points of 8/8 (the answer is still
held to 0.5 test points), and --bisect tries them by bisection over energy instead of lowest first: the
candidates are then the energy/validation-error front (accuracy rising with energy), and each try halves
the interval, so a handful of costly re-measurements finds the lowest-energy qualifying point, assuming the
re-measured accuracy rises with energy along that front (each tried point is printed, so it can be checked).
With --rescreen N, before any re-measurement the candidates (the front within the slack, as read from the
run) and 8/8 are measured again with the run's own evaluator on N validation images (0: all of them), and
the candidates are chosen again on those figures: a search picks its front on a small validation sample
(1,000 images: a standard error near 0.9 points at 90%), so the points that look best there are partly
the lucky ones, and a larger sample sorts them before the costly re-measurements.
With --rescreen-ranks K (with --rescreen; default 1) the points re-measured are those of the first K fronts
of the run's points within the slack (the front, then the front of what is left, and so on): a front picked
on a small sample is made of the points that drew the luckiest figures, and they push the points just
behind them out of sight (docs/benchmarks.md §9: a 1,000-evaluation search whose front starts at 35% held
points at 24-33% within a validation point of 8/8 only from its fifth front on), so a deeper pool lets the
larger sample choose among them too.
With --confirm-seeds 1,2 each re-measurement (8/8's included) is the mean over those evaluator seeds
(--evaluator-seed), every seed's figure printed: one seed of a short qat moves a high-bit configuration's
test accuracy by about 0.1-0.2 points (docs/benchmarks.md §9), as much as the margins the 0.5-point rule
decides on.
Usage: tests/bench_headline.py BITLOOP_CLI RUN_DIR [--confirm EVALUATOR [--confirm-args "..."] [--tries N]
                                                  [--slack POINTS] [--bisect] [--rescreen N [--rescreen-ranks K]]
                                                  [--confirm-seeds S1,S2,...]]"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile



def fail(message):
    """One line naming what was wrong, exit 2: a wrong figure is worse than none."""
    print("bench_headline: " + message, file=sys.stderr)
    sys.exit(2)


def option(name, convert, default):
    if name not in extra:
        return default
    at = extra.index(name)
    if at + 1 >= len(extra):
        fail(name + ": needs a value")
    try:
        return convert(extra[at + 1])
    except ValueError:
        fail("%s: '%s' is not a number" % (name, extra[at + 1]))


if len(sys.argv) < 3:
    fail("usage: bench_headline.py BITLOOP_CLI RUN_DIR [options, see the source]")
cli, run = sys.argv[1], sys.argv[2]
extra = sys.argv[3:]
confirm = option("--confirm", str, None)
confirm_args = option("--confirm-args", str, "").split()
tries = option("--tries", int, 8)
slack = option("--slack", float, 0.5) / 100
bisect = "--bisect" in extra
rescreen = option("--rescreen", int, None)
ranks = option("--rescreen-ranks", int, 1)
confirm_seeds = option("--confirm-seeds", lambda v: [int(x) for x in v.split(",")], None)
if confirm_seeds is not None:
    if not confirm:
        fail("--confirm-seeds: only with --confirm")
    if "--evaluator-seed" in confirm_args:
        fail("--confirm-seeds: --confirm-args already sets --evaluator-seed")
    if not confirm_seeds or len(set(confirm_seeds)) != len(confirm_seeds) or min(confirm_seeds) < 0:
        fail("--confirm-seeds: distinct whole numbers expected")
if rescreen is not None and rescreen < 0:
    fail("--rescreen: %d validation images" % rescreen)
if ranks < 1:
    fail("--rescreen-ranks: %d fronts; 1 or more expected" % ranks)
if ranks > 1 and (rescreen is None or not confirm):
    fail("--rescreen-ranks: only with --confirm and --rescreen")
if not os.path.isfile(os.path.join(run, "run.sqlite")):
    fail(run + ": not a run directory (no run.sqlite)")
try:
    # Read-only: a wrong path must not leave an empty database behind.
    db = sqlite3.connect("file:%s?mode=ro" % os.path.abspath(os.path.join(run, "run.sqlite")), uri=True)
    rows = db.execute("SELECT bits, accuracy, energy_pj, weight_bytes, violation FROM individuals").fetchall()
    gens = db.execute("SELECT generation, evaluations, elapsed, mapper_seconds, accuracy_seconds, "
                      "algorithm_seconds FROM generations ORDER BY generation").fetchall()
    settings = open(os.path.join(run, "settings.yaml")).read()
    args = json.loads(settings.split("arguments: ", 1)[1].split("\n", 1)[0])
except (sqlite3.Error, OSError, IndexError, ValueError) as e:
    fail("%s: cannot read the run (%s)" % (run, e))
if not rows:
    fail(run + ": the run has no evaluated points")
opt = {args[i]: args[i + 1] for i in range(0, len(args) - 1, 2) if args[i].startswith("--")}
# The run records its paths as given: a relative --checkpoint is relative to where the search ran, which a
# relative --out names (the run directory is that folder's --out). Commands run there.
run = os.path.abspath(run)
if os.sep in cli:
    cli = os.path.abspath(cli)
origin = os.getcwd()
out = os.path.normpath(opt.get("--out", ""))
if out and not os.path.isabs(out) and run.endswith(os.sep + out):
    origin = run[: -len(out) - 1]


def call(cmd, key):
    """The command's JSON answer[key]; a failure ends the script with the command and its message."""
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=origin)
    if done.returncode != 0:
        fail("%s (in %s) exited %d: %s" % (" ".join(cmd), origin, done.returncode, done.stderr.strip()))
    return json.loads(done.stdout)[key]
layers = len(rows[0][0].split())
uniform8 = " ".join(["8/8"] * layers)
u = next((r for r in rows if r[0] == uniform8), None)
if u is None:
    fail(run + ": uniform 8/8 was not evaluated (the search seeds it; was it run with --allowed-bits without 8?)")
feasible = [r for r in rows if r[4] == 0]
chosen = min((r for r in feasible if r[1] >= u[1] - 0.005), key=lambda r: r[2])


def bits_file(bits):
    f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    f.write("bits:\n" + "".join("  - [%s, %s]\n" % tuple(b.split("/")) for b in bits.split()))
    f.close()
    return f.name


def energy(bits, reuse=None):
    """The configuration's energy in pJ on the run's own hardware side (search-export)."""
    out_dir = tempfile.mkdtemp()
    cmd = [cli, "search-export", "--run", run, "--bits", bits_file(bits), "--out", out_dir, "--json"]
    if reuse:
        cmd += ["--reuse-mapping-from-bits", str(reuse)]
    return call(cmd, "energy_pj")


# What an accuracy figure means (the data, how the model quantizes) and where answers are cached: passed to
# every evaluator. The run's own evaluator also gets its budget and settings, so that its figures here are
# the ones the search measured; another evaluator (--confirm) gets --confirm-args instead.
MEANING = ("--dataset", "--image-input", "--weight-scale", "--cache-dir")
OWN_SETTINGS = ("--supernet", "--bn-batches", "--calibration-batches", "--batch", "--steps", "--epochs", "--lr",
                "--evaluator-seed", "--train-limit", "--temperature", "--distill-weight", "--max-grad-norm")


def accuracy(bits, evaluator=None, extra_args=(), test=False, images=0):
    """The configuration's accuracy by `evaluator` (default: the run's own, with the run's settings) on the
    test set or on `images` validation images (0: all)."""
    own = evaluator is None or (evaluator == opt.get("--evaluator", "ptq") and not extra_args)
    cmd = [cli, "accuracy", "--checkpoint", opt["--checkpoint"], "--bits", bits_file(bits), "--evaluator",
           evaluator or opt.get("--evaluator", "ptq"), "--json"] + list(extra_args)
    if "--threads" not in extra_args:
        cmd += ["--threads", opt.get("--torch-threads", "2") if own else "2"]
    for key in MEANING + (OWN_SETTINGS if own else ()):
        if key in opt and key not in extra_args:
            cmd += [key, opt[key]]
    if own and "--no-distill" in args:
        cmd += ["--no-distill"]
    if test:
        cmd += ["--test"]
    elif images:
        cmd += ["--limit", str(images)]
    return call(cmd, "accuracy")


def test_accuracy(bits, evaluator=None, extra_args=()):
    return accuracy(bits, evaluator, extra_args, test=True)


def validation_accuracy(bits, images):
    """The configuration's validation accuracy by the run's own evaluator on `images` images (0: all)."""
    return accuracy(bits, images=images)


def pick(rows, reference, front=bisect):
    """Distinct configurations within the slack of 8/8's validation accuracy, cheaper than 8/8, lowest energy
    first; for bisection (or when `front` is set) only those no cheaper point beats on validation accuracy."""
    seen, picked = set(), []
    for r in sorted((r for r in rows if r[1] >= reference[1] - slack), key=lambda r: (r[2], -r[1])):
        if r[0] not in seen and r[2] < reference[2]:
            if front and picked and r[1] <= picked[-1][1]:
                continue
            seen.add(r[0])
            picked.append(r)
    return picked


def fronts(rows, reference, k):
    """The first k fronts (energy against validation accuracy) of the points within the slack, lowest
    energy first; a configuration the run evaluated twice counts once."""
    pool, left = [], list(rows)
    for _ in range(k):
        front = pick(left, reference, front=True)
        if not front:
            break
        pool += front
        taken = {r[0] for r in front}
        left = [r for r in left if r[0] not in taken]
    return sorted(pool, key=lambda r: (r[2], -r[1]))


def confirmed(bits):
    """The --confirm evaluator's test accuracy: one figure, or the mean over --confirm-seeds and the seeds'
    figures as text."""
    if not confirm_seeds:
        return test_accuracy(bits, confirm, confirm_args), ""
    each = [test_accuracy(bits, confirm, confirm_args + ["--evaluator-seed", str(s)]) for s in confirm_seeds]
    return sum(each) / len(each), " (seeds " + ", ".join("%d: %.4f" % p for p in zip(confirm_seeds, each)) + ")"


u_test, u_seeds = confirmed(u[0]) if confirm else (test_accuracy(u[0]), "")
if confirm:
    if u_seeds:
        print("8/8: %s test %.4f%s" % (confirm, u_test, u_seeds), flush=True)
    candidates = pick(feasible, u) if ranks == 1 else fronts(feasible, u, ranks)
    if rescreen is not None:
        print("%d candidates within %.2f validation points of 8/8 on the run's figures%s; measured again on %s "
              "validation images:" % (len(candidates), 100 * slack,
                                      " (its first %d fronts)" % ranks if ranks > 1 else "", rescreen or "all the"),
              flush=True)
        again = {r[0]: validation_accuracy(r[0], rescreen) for r in [u] + candidates}
        for r in [u] + candidates:
            print("  %s%.1f%%: val. %.4f -> %.4f" % ("8/8 " if r is u else "", 100 * (1 - r[2] / u[2]), r[1],
                                                    again[r[0]]), flush=True)
        u = (u[0], again[u[0]]) + tuple(u[2:])
        candidates = pick([(r[0], again[r[0]]) + tuple(r[2:]) for r in candidates], u)
    print("%d candidates within %.2f validation points of 8/8 (%s)"
          % (len(candidates), 100 * slack, "bisection" if bisect else "lowest energy first"))
    if bisect:
        print("  " + ", ".join("%.1f%% at val. %.4f" % (100 * (1 - r[2] / u[2]), r[1]) for r in candidates), flush=True)
    chosen, chosen_test = u, u_test
    lo, hi = 0, len(candidates) - 1
    for attempt in range(min(tries, len(candidates))):
        i = (lo + hi) // 2 if bisect else attempt
        if lo > hi:
            break
        r = candidates[i]
        t, t_seeds = confirmed(r[0])
        ok = t >= u_test - 0.005
        print("tried %s: val. %.4f, %s test %.4f%s (8/8: %.4f), energy %.3f uJ, saving %.1f%%: %s" % (
            r[0], r[1], confirm, t, t_seeds, u_test, r[2] * 1e-6, 100 * (1 - r[2] / u[2]),
            "within 0.5" if ok else "out"), flush=True)
        if ok and r[2] < chosen[2]:
            chosen, chosen_test = r, t
        if not bisect:
            if ok:
                break
            lo = i + 1
        elif ok:
            hi = i - 1
        else:
            lo = i + 1
else:
    chosen_test = test_accuracy(chosen[0])

e8_16 = energy(uniform8, 16)
ec_16 = energy(chosen[0], 16)
print("| point | bits | val. error | test error | energy (µJ) | from 16-bit mappings (µJ) | memory (bytes) |")
print("|---|---|---|---|---|---|---|")
for name, r, t, e16 in (("uniform 8/8", u, u_test, e8_16), ("lowest energy within 0.5 pt", chosen, chosen_test, ec_16)):
    print("| %s | %s | %.4f | %.4f | %.3f | %.3f | %d |" % (
        name, r[0] if name != "uniform 8/8" else "8/8 everywhere", 1 - r[1], 1 - t, r[2] * 1e-6, e16 * 1e-6, r[3]))
print()
print("test accuracy by %s: 8/8 %.4f, chosen %.4f" % (confirm or opt.get("--evaluator", "ptq"), u_test, chosen_test))
print("energy saving of the chosen point against uniform 8/8: %.1f%% (mappings searched for its widths), "
      "%.1f%% (mappings reused from 16 bits)" % (100 * (1 - chosen[2] / u[2]), 100 * (1 - ec_16 / e8_16)))
total = e8_16 - chosen[2]
print("against uniform 8/8 with 16-bit mappings: %.1f%% saved, of which bit-widths %.1f points and mappings "
      "searched for them %.1f points" % (100 * total / e8_16, 100 * (e8_16 - ec_16) / e8_16,
                                          100 * (ec_16 - chosen[2]) / e8_16))
last = gens[-1]
print("evaluations %d over %d generations; wall %.0f s; busy: mapper %.0f s, accuracy %.0f s, algorithm %.3f s"
      % (last[1], last[0], last[2], sum(g[3] for g in gens), sum(g[4] for g in gens), sum(g[5] for g in gens)))
