"""How long `jobclass retrain` takes on the corpus plus 10,000 extra labeled rows.

    .venv/bin/python benchmarks/retrain.py [--rows 10000] [--runs 3]

The extra rows are corpus postings with words dropped and rotated (timing only; they are never
committed). Each run starts from a fresh JOBCLASS_HOME, so nothing carries over between runs.
Writes benchmarks/results/retrain.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import perturbed, save  # noqa: E402

from jobclass import config  # noqa: E402
from jobclass.data import read_labeled  # noqa: E402

JOBCLASS = str(Path(sys.executable).with_name("jobclass"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    corpus = read_labeled([config.corpus_dir()]).frame
    work = Path(tempfile.mkdtemp(prefix="jobclass-retrain-"))
    try:
        extra = pd.DataFrame({
            "description": perturbed(corpus["description"].tolist(), args.rows, seed=1),
            "label": [corpus["label"].iat[i % len(corpus)] for i in range(args.rows)],
        })
        new = work / "extra.csv"
        extra.to_csv(new, index=False)
        seconds = []
        for run in range(args.runs):
            env = {**os.environ, "JOBCLASS_HOME": str(work / f"home-{run}")}
            start = time.perf_counter()
            subprocess.run([JOBCLASS, "retrain", str(new), "--force"], check=True, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seconds.append(round(time.perf_counter() - start, 2))
        median = statistics.median(seconds)
        print(f"retrain on {len(corpus)} corpus + {args.rows} new rows: median {median} s "
              f"over {args.runs} runs {seconds}")
        print("wrote", save("retrain", {"command": "benchmarks/retrain.py " + " ".join(sys.argv[1:]),
                                        "corpus_rows": len(corpus), "new_rows": args.rows,
                                        "seconds": seconds, "median_seconds": median}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
