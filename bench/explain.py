"""What explaining a text costs: every label of texts of about 30 tokens, with `emotion_nb.insight.explain`'s defaults, on
a trained model (the README's, `runs/minilm/model`, unless `--model` says otherwise). Prints seconds per text and the
largest convergence delta.

    python -m bench.explain --model runs/minilm/model --texts 40

The texts are the first `--texts` of `track-a.csv` whose length is 28 to 32 tokens. Each is explained once before the
clock starts (the first call of a shape costs more), then once timed.
"""
import argparse, platform, sys, time
from datetime import date

import numpy as np
import torch

from emotion_nb.core import cpu_kind, native_bf16
from emotion_nb.data import find_track_a, read_track_a
from emotion_nb.inference import Predictor
from emotion_nb.insight import STEPS, TOLERANCE, Explainer

def thirty_token_texts(predictor:Predictor, n:int) -> list:
    "The first `n` texts of `track-a.csv` of 28 to 32 tokens."
    texts = read_track_a(find_track_a(), drop_empty=False)['text']
    return [t for t in texts if 28 <= len(predictor.tokenizer(t)['input_ids']) <= 32][:n]

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default='runs/minilm/model', help='a model directory')
    p.add_argument('--texts', type=int, default=40, help='how many texts to time')
    a = p.parse_args()
    if find_track_a() is None: sys.exit('track-a.csv not found (see README: getting the data)')
    predictor = Predictor.load(a.model)
    explainer, texts = Explainer(predictor), thirty_token_texts(predictor, a.texts)
    seconds, deltas = [], []
    for t in texts:
        explainer(t, predictor.labels)
        start = time.perf_counter()
        e = explainer(t, predictor.labels)
        seconds.append(time.perf_counter() - start)
        deltas += [abs(v['delta']) for v in e['labels'].values()]
    cpu = platform.processor() or 'cpu'
    print(f"{date.today()} | {cpu} ({cpu_kind()}), {torch.get_num_threads()} threads, native bf16: {native_bf16(torch.device('cpu'))} | torch {torch.__version__} | "
          f"{a.model} | {len(texts)} texts of 28-32 tokens, all {len(predictor.labels)} labels, {STEPS} steps to start, tolerance {TOLERANCE}")
    print(f"seconds per text: median {np.median(seconds):.2f}, 90th percentile {np.quantile(seconds, .9):.2f}, max {max(seconds):.2f}; "
          f"largest |delta| {max(deltas):.4f}")

if __name__ == '__main__': main()
