"""Speed and memory: batch throughput vs fastText, peak memory on growing files, cold predict
latency, and training time. Prints tables and writes benchmarks/results/speed.json.

    .venv/bin/python benchmarks/speed.py [--runs 3] [--skip-memory] [--skip-training]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ROOT,
    median_seconds,
    perturbed,
    require_real,
    save,
    table,
    train_fasttext,
)

JOBCLASS = str(Path(sys.executable).with_name("jobclass"))
POSTING = ("We are hiring an engineer to build retrieval-augmented generation over our support "
           "articles with embeddings, a vector database and the OpenAI API, design prompts, write "
           "evaluation harnesses and ship agent features with tool calling.")


def throughput(source: Path, runs: int, work: Path) -> dict:
    from jobclass import config
    from jobclass.data import read_labeled

    ft_model = work / "fasttext.bin"
    train_fasttext(read_labeled([config.corpus_dir()]).frame).save_model(str(ft_model))
    plain = work / "unlabeled.csv"
    with gzip.open(source, "rb") as compressed, open(plain, "wb") as out:
        shutil.copyfileobj(compressed, out)
    import pandas as pd

    rows = len(pd.read_csv(plain, usecols=["id"]))
    jc_times, ft_times = [], []
    for _ in range(runs):  # alternate, so both see the same machine load
        jc_times += median_seconds([JOBCLASS, "batch", str(plain), "-o", str(work / "jc.csv")], 1,
                                   stderr=subprocess.DEVNULL)[1]
        ft_times += median_seconds([sys.executable, str(ROOT / "benchmarks" / "_fasttext_batch.py"),
                                    str(ft_model), str(plain), str(work / "ft.tsv")], 1,
                                   cwd=ROOT / "benchmarks")[1]
    jc, ft = statistics.median(jc_times), statistics.median(ft_times)
    return {"rows": rows, "input_mb": round(plain.stat().st_size / 1e6, 1),
            "jobclass_seconds": jc_times, "fasttext_seconds": ft_times,
            "jobclass_postings_per_s": round(rows / jc), "fasttext_postings_per_s": round(rows / ft),
            "ratio_jobclass_over_fasttext": round(ft / jc, 3)}


def tokenizer_cost(source: Path, runs: int) -> dict:
    """Our prediction path (masking + Chinese bigrams) against a plain English word-unigram
    TF-IDF + logistic regression pipeline, both trained on the corpus, on the same real postings."""
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from jobclass import config
    from jobclass.data import read_labeled
    from jobclass.model import fit, probabilities

    corpus = read_labeled([config.corpus_dir()]).frame
    texts, labels = corpus["description"].tolist(), corpus["label"].tolist()
    plain = Pipeline([("tfidf", TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.9)),
                      ("clf", LogisticRegression(max_iter=2000))]).fit(texts, labels)
    ours = fit(texts, labels)
    postings = pd.read_csv(source, usecols=["description"], keep_default_na=False)["description"].tolist()
    plain_times, our_times = [], []
    for _ in range(runs):
        start = time.perf_counter()
        plain.predict_proba(postings)
        plain_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        probabilities(ours, postings)
        our_times.append(time.perf_counter() - start)
    plain_s, our_s = statistics.median(plain_times), statistics.median(our_times)
    return {"postings": len(postings), "plain_unigram_seconds": plain_times, "jobclass_seconds": our_times,
            "ratio_jobclass_over_plain": round(our_s / plain_s, 3)}


def peak_memory_mb(command: list[str]) -> tuple[float, float, float]:
    """Run a command; return peak PSS and peak RSS of its whole process tree (MB), and seconds.

    PSS shares each page among the processes that map it, so forked workers are not counted
    twice for the libraries and model they share with their parent; RSS sums do count them.
    """
    import psutil

    start = time.perf_counter()
    process = psutil.Popen(command, stderr=subprocess.DEVNULL)
    peak_pss = peak_rss = 0
    done = threading.Event()

    def poll():
        nonlocal peak_pss, peak_rss
        while not done.is_set():
            try:
                infos = [p.memory_full_info() for p in [process, *process.children(recursive=True)]]
                peak_pss = max(peak_pss, sum(i.pss for i in infos))
                peak_rss = max(peak_rss, sum(i.rss for i in infos))
            except psutil.Error:
                pass
            time.sleep(0.1)

    watcher = threading.Thread(target=poll)
    watcher.start()
    code = process.wait()
    done.set()
    watcher.join()
    if code:
        raise SystemExit(f"{command} failed with exit code {code}")
    return peak_pss / 1e6, peak_rss / 1e6, time.perf_counter() - start


def memory(source: Path, work: Path, sizes_mb: list[int]) -> list[dict]:
    import pandas as pd

    postings = pd.read_csv(work / "unlabeled.csv", dtype=str, keep_default_na=False)
    pieces = [postings.iloc[i:i + 500].to_csv(index=False, header=False)
              for i in range(0, len(postings), 500)]
    results = []
    for size in sizes_mb:
        big = work / f"big-{size}.csv"
        with open(big, "w", encoding="utf-8", newline="") as out:
            out.write(",".join(postings.columns) + "\n")
            written = 0
            while out.tell() < size * 1e6:  # whole postings, repeated, until the size is reached
                out.write(pieces[written % len(pieces)])
                written += 1
        pss, rss, seconds = peak_memory_mb([JOBCLASS, "batch", str(big), "-o",
                                            str(work / "big-out.csv")])
        results.append({"input_mb": round(big.stat().st_size / 1e6), "peak_pss_mb": round(pss),
                        "peak_rss_sum_mb": round(rss), "seconds": round(seconds, 1)})
        big.unlink()
        (work / "big-out.csv").unlink()
    return results


def latency(runs: int) -> dict:
    predict, predict_times = median_seconds([JOBCLASS, "predict", POSTING], runs,
                                            stdout=subprocess.DEVNULL)
    sklearn, sklearn_times = median_seconds([sys.executable, "-c", "import sklearn"], runs)
    importing = subprocess.run([sys.executable, "-X", "importtime", "-c",
                                "import jobclass.cli, jobclass.api"],
                               capture_output=True, text=True).stderr.splitlines()
    heavy = []
    for line in importing[1:]:
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and not parts[2].startswith(" ") and parts[1].isdigit():
            heavy.append((int(parts[1]), parts[2]))
    top_level = sorted((c, n) for c, n in heavy if "." not in n)[::-1][:6]
    return {"predict_median_s": round(predict, 3), "predict_runs_s": predict_times,
            "import_sklearn_median_s": round(sklearn, 3),
            "import_cumulative_us_top": [{"module": n, "us": c} for c, n in top_level]}


def training(work: Path) -> dict:
    from jobclass import config
    from jobclass.data import read_labeled
    from jobclass.model import fit

    corpus_seconds = median_seconds([JOBCLASS, "train", "--out", str(work / "m1")], 1,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)[0]
    frame = read_labeled([config.corpus_dir()]).frame
    texts = perturbed(frame["description"].tolist(), 100_000)
    labels = [frame["label"].iat[i % len(frame)] for i in range(100_000)]
    start = time.perf_counter()
    fit(texts, labels)  # vocabulary selection + the final pipeline fit, as `train` does last
    fit_100k = time.perf_counter() - start
    return {"train_command_on_corpus_s": round(corpus_seconds, 1), "corpus_rows": len(frame),
            "pipeline_fit_100k_s": round(fit_100k, 1),
            "note": "train command = validation + 5-fold CV + final fit + save; 100k = the final "
                    "fit (vocabulary selection + pipeline), without cross-validation"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--sizes", default="250,500,1000", help="memory test sizes in MB")
    args = parser.parse_args()
    source = require_real("unlabeled.csv.gz")
    work = Path(tempfile.mkdtemp(prefix="jobclass-bench-"))
    os.environ.setdefault("JOBCLASS_HOME", str(work / "home"))
    try:
        results = {"command": " ".join(["benchmarks/speed.py", *sys.argv[1:]])}
        results["throughput"] = throughput(source, args.runs, work)
        t = results["throughput"]
        print(table([["jobclass batch", t["jobclass_postings_per_s"],
                       round(statistics.median(t["jobclass_seconds"]), 2)],
                      ["fastText predict", t["fasttext_postings_per_s"],
                       round(statistics.median(t["fasttext_seconds"]), 2)]],
                    [f"batch of {t['rows']} real postings", "postings/s", "median s"]))
        print(f"jobclass / fastText throughput: {t['ratio_jobclass_over_fasttext']}x\n")
        results["tokenizer"] = tokenizer_cost(source, args.runs)
        tok = results["tokenizer"]
        print(f"one process, {tok['postings']} postings: plain English unigram pipeline "
              f"{statistics.median(tok['plain_unigram_seconds']):.2f} s, jobclass (titles masked, "
              f"Chinese bigrams) {statistics.median(tok['jobclass_seconds']):.2f} s: "
              f"{tok['ratio_jobclass_over_plain']}x\n")
        results["latency"] = latency(10)
        lat = results["latency"]
        print(f"cold `jobclass predict`: median {lat['predict_median_s']} s; "
              f"`python -c 'import sklearn'`: {lat['import_sklearn_median_s']} s")
        print("slowest imports (cumulative us):", lat["import_cumulative_us_top"], "\n")
        if not args.skip_memory:
            results["memory"] = memory(source, work, [int(s) for s in args.sizes.split(",")])
            print(table([[m["input_mb"], m["peak_pss_mb"], m["peak_rss_sum_mb"], m["seconds"]]
                         for m in results["memory"]],
                        ["input MB", "peak PSS MB (all processes)", "peak RSS sum MB", "s"]))
        if not args.skip_training:
            results["training"] = training(work)
            print("\ntraining:", results["training"])
        print("\nwrote", save("speed", results))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
