"""fastText's side of the throughput benchmark: read the CSV, predict every posting, write labels."""

import sys

import fasttext
import pandas as pd
from common import fasttext_predict

model_path, source, target = sys.argv[1:4]
model = fasttext.load_model(model_path)
with open(target, "w", encoding="utf-8") as out:
    for chunk in pd.read_csv(source, dtype=str, keep_default_na=False, chunksize=2000):
        for pairs in fasttext_predict(model, chunk["description"].tolist(), k=3):
            out.write("\t".join(f"{label}\t{p:.4f}" for p, label in pairs) + "\n")
