"""fastText's side of the throughput benchmark: read the CSV, predict every posting, write labels."""

import sys

import fasttext
import pandas as pd

from common import fasttext_text

model_path, source, target = sys.argv[1:4]
model = fasttext.load_model(model_path)
with open(target, "w", encoding="utf-8") as out:
    for chunk in pd.read_csv(source, dtype=str, keep_default_na=False, chunksize=2000):
        labels, probabilities = model.predict([fasttext_text(t) for t in chunk["description"]], k=3)
        out.writelines(f"{row[0]}\t{p[0]:.4f}\n" for row, p in zip(labels, probabilities))
