#!/usr/bin/env python3
"""Puts freshet's and pandas + scikit-learn's feature benchmark results side by side (the JSON of
freshet_feature_bench, features_sklearn.py and, optionally, freshet_torch_feature_bench) and prints
the ratios, as text or as Markdown for docs/benchmarks.md. Standard library only."""
import argparse
import json


def freshet_names(step):
    """The freshet ops (numeric columns, categorical outputs) a scikit-learn step stands for."""
    out = []
    for c in step["freshet"]:
        for suffix in ("_missing", "_bucket"):
            if c.endswith(suffix):
                c = c[: -len(suffix)]
        if c not in out:
            out.append(c)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--freshet", required=True)
    ap.add_argument("--sklearn", required=True)
    ap.add_argument("--torch", help="freshet_torch_feature_bench JSON (CPU)")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    f = json.load(open(a.freshet))
    s = json.load(open(a.sklearn))
    md = a.markdown

    def row(*cells):
        if md:
            print("| " + " | ".join(str(c) for c in cells) + " |")
        else:
            print(f"{cells[0]:50s} " + " ".join(f"{str(c):>14s}" for c in cells[1:]))

    t = f["threads"]
    f_ms, f1_ms = f["cpu_transform_ms"], f["cpu_transform_ms_1t"]
    s_ms = 1e3 * s["transform_s"]
    if md:
        print("| | freshet | pandas + scikit-learn | time ratio freshet / peer "
              "| freshet speed-up |")
        print("|---|---:|---:|---:|---:|")
    else:
        row("", "freshet", "pandas+sklearn", "freshet/peer", "speed-up")
    row(f"transform, {f['rows']:,} rows (freshet {t} threads)", f"{f_ms:.0f} ms",
        f"{s_ms:.0f} ms", f"{f_ms / s_ms:.3f}", f"{s_ms / f_ms:.1f}x")
    row("transform, freshet on 1 thread", f"{f1_ms:.0f} ms", f"{s_ms:.0f} ms",
        f"{f1_ms / s_ms:.3f}", f"{s_ms / f1_ms:.1f}x")
    row("fit (once)", f"{1e3 * f['fit_s']:.0f} ms", f"{1e3 * s['fit_s']:.0f} ms",
        f"{f['fit_s'] / s['fit_s']:.3f}", f"{s['fit_s'] / f['fit_s']:.1f}x")
    if a.torch:
        tj = json.load(open(a.torch))
        row(f"numeric part vs LibTorch ops on {tj['device']} ({tj['torch_threads']} threads)",
            f"{tj['freshet_ms']:.0f} ms", f"torch {tj['torch_ms']:.0f} ms",
            f"{tj['freshet_ms'] / tj['torch_ms']:.3f}", f"{tj['ratio']:.1f}x")
    total_bytes = f["input_bytes"] + f["output_bytes"]
    floor = total_bytes / (f["host_copy_gbs"] * 1e6)
    print()
    print(f"bytes moved {total_bytes / 1e9:.2f} GB; host memcpy {f['host_copy_gbs']:.1f} GB/s "
          f"({t} threads): floor {floor:.0f} ms; freshet at {f_ms / floor:.0f}x the floor")
    print()

    ops = {o["name"]: o for o in f["ops"]}

    def op_ms(names, key):
        """The sum of the ops' times; None when one was not measured (an older JSON)."""
        ms = [ops[n].get(key) for n in names if n in ops]
        return None if not ms or any(m is None for m in ms) else sum(ms)

    def ratio(peer, ms):
        return f"{peer / ms:.1f}x" if ms else "-"

    # scikit-learn runs each step on one core: the 1-thread column is the per-core comparison.
    if md:
        print(f"| step (scikit-learn estimator) | freshet ms, {t} threads | freshet ms, 1 thread "
              f"| sklearn ms | speed-up ({t} threads) | per core (1 thread) |")
        print("|---|---:|---:|---:|---:|---:|")
    else:
        row("per step, each op alone", f"freshet {t}t ms", "freshet 1t ms", "sklearn ms",
            "speed-up", "per core")
    for st in s["steps"]:
        names = freshet_names(st)
        fm, f1 = op_ms(names, "cpu_ms"), op_ms(names, "cpu_ms_1t")
        peer = st["transform_ms"]
        row(st["step"], f"{fm:.1f}" if fm else "-", f"{f1:.1f}" if f1 else "-", f"{peer:.1f}",
            ratio(peer, fm), ratio(peer, f1))
    if "parity" in s:
        print()
        print(f"parity with freshet's output on the first {s['parity_rows']:,} rows:")
        for p in s["parity"]:
            print(("- " if md else "  ") + f"{p['step']}: {p['result']}")


if __name__ == "__main__":
    main()
