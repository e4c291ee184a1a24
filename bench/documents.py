"""How well long documents are read: each emotional text of a run's internal test split hidden among texts with no
emotion, read by every way the package offers, scored against the emotional text's own labels.

    python -m bench.documents --model runs/minilm/model --texts 150 --out nbs/documents.csv

A document is one emotional text of the run's internal test split (never an official test file) among texts of
`track-a.csv` with no emotion, which training dropped and so never saw, until it is 1, 2, 4 or 8 times the model's
window long; the emotional text is first, or last (past the first window from 2 windows on). A `joined` document holds
three emotional texts among the neutral ones, 4 windows long, with the union of their labels. Each way of reading
predicts every document in one call, at the model's thresholds: the emotional text alone (the ceiling), the first
window (`truncate`), and windows or sentences (`--long`), each combined by `max`, `mean` and `lme` (`--combine`).
For each it records macro-F1 by size and position, texts/s, tokens/s and the peak
memory it added (resident, sampled every 10 ms), each reading in a fresh process. The record is a CSV, which the
benchmarks page reads.
"""
import argparse, platform, threading, time, warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from datetime import date

import numpy as np
import pandas as pd
import psutil
import torch

from emotion_nb.catalog import data_path
from emotion_nb.core import cpu_kind
from emotion_nb.data import read_track_a
from emotion_nb.evaluation import multilabel_metrics
from emotion_nb.inference import Predictor
from emotion_nb.split import run_split
from emotion_nb.options import COMBINES, encoder_name

SIZES, POSITIONS = (1, 2, 4, 8), ('first', 'last')
READINGS = ('alone', 'truncate', *(f'{long} {how}' for long in ('windows', 'sentences') for how in COMBINES))

def documents(test:pd.DataFrame, neutral:list, labels:list, window:int, n:int, count, seed:int=0) -> pd.DataFrame:
    "Documents of each size and position around the first `n` emotional texts of `test`, and `n // 3` joined ones."
    rng, rows = np.random.default_rng(seed), []
    def filled(parts:list, size:int) -> list:
        "Neutral texts around `parts` (a list of emotional texts in order) until the document holds `size` windows."
        out, tokens = list(parts), sum(count(p) for p in parts)
        while tokens < size * window:
            t = neutral[rng.integers(len(neutral))]
            out.insert(int(rng.integers(len(out) + 1)) if len(parts) > 1 else len(out), t); tokens += count(t)
        return out
    emotional = test[test[labels].sum(axis=1) > 0].head(n)
    for _, r in emotional.iterrows():
        for size in SIZES:
            body = filled([r['text']], size)
            for position in POSITIONS:
                doc = body if position == 'first' else body[1:] + body[:1]
                rows.append(dict(size=size, position=position, text=' '.join(doc), alone=r['text'], **r[labels].to_dict()))
    for i in range(0, 3 * (n // 3), 3):
        three = emotional.iloc[i:i + 3]
        rows.append(dict(size=4, position='joined', text=' '.join(filled(three['text'].tolist(), 4)), alone=' '.join(three['text']),
                         **(three[labels].max() > 0).astype(int).to_dict()))
    return pd.DataFrame(rows)

class PeakMemory:
    "The most resident memory this process reaches above where it started, sampled every 10 ms, in MiB."
    def __enter__(self):
        self.proc, self.stop = psutil.Process(), threading.Event()
        self.base = self.peak = self.proc.memory_info().rss
        def sample():
            while not self.stop.wait(0.01): self.peak = max(self.peak, self.proc.memory_info().rss)
        self.thread = threading.Thread(target=sample, daemon=True); self.thread.start()
        return self
    def __exit__(self, *exc): self.stop.set(); self.thread.join(); self.mib = (self.peak - self.base) / 2**20

def read(model:str, reading:str, texts:list):
    "`(probabilities, seconds, peak MiB)` of `texts` read one way, in a process of its own."
    long, _, combine = reading.partition(' ')
    p = Predictor.load(model, long='truncate' if long in ('alone', 'truncate') else long, combine=combine or 'max')
    p.logits(texts[:8])  # the first call of a shape costs more
    with PeakMemory() as mem:
        start = time.perf_counter()
        z = p.logits(texts)
        seconds = time.perf_counter() - start
    return 1 / (1 + np.exp(-z)), seconds, mem.mib

def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--model', default='runs/minilm/model', help="a model directory of a run (its run's test split is used)")
    a.add_argument('--texts', type=int, default=150, help='emotional texts to hide')
    a.add_argument('--out', default='nbs/documents.csv', help='the record to write')
    a = a.parse_args()
    warnings.filterwarnings('ignore', 'ROC AUC')  # a group of documents may lack a label
    p = Predictor.load(a.model)
    labels, window = p.labels, p.meta['max_len'] - 2
    count = lambda t: len(p.windows.encode(t, add_special_tokens=False).ids)
    pool = read_track_a(data_path('semeval:eng'), labels, drop_empty=False)
    neutral = [t for t in pool[pool[labels].sum(axis=1) == 0]['text'] if count(t) < window]
    docs = documents(run_split(a.model, 'test'), neutral, labels, window, a.texts, count)
    tokens = {'alone': sum(map(count, docs['alone'])), **dict.fromkeys(READINGS[1:], sum(map(count, docs['text'])))}
    y, thresholds, rows = docs[labels].to_numpy(), p.thresholds, []
    for reading in READINGS:
        texts = docs['alone' if reading == 'alone' else 'text'].tolist()
        with ProcessPoolExecutor(1, mp_context=get_context('spawn')) as pool:
            probs, seconds, mib = pool.submit(read, a.model, reading, texts).result()
        for (size, position), idx in docs.groupby(['size', 'position']).groups.items():
            m = multilabel_metrics(y[idx], probs[idx], thresholds, labels)
            rows.append(dict(reading=reading, size=size, position=position, documents=len(idx), macro_f1=m['macro_f1']))
        rows.append(dict(reading=reading, size='all', position='all', documents=len(docs),
                         macro_f1=multilabel_metrics(y, probs, thresholds, labels)['macro_f1'], texts_per_s=len(docs) / seconds,
                         tokens_per_s=tokens[reading] / seconds, peak_mib=mib))
        print(rows[-1], flush=True)
    trained = p.meta['options']
    record = pd.DataFrame(rows).assign(cpu=cpu_kind(), date=str(date.today()), precision=p.precision,
                                       model=f"{encoder_name(trained['model'])}, seed {trained['seed']}",
                                       threads=torch.get_num_threads(), machine=platform.processor() or 'cpu')
    record.to_csv(a.out, index=False)
    print(record.pivot_table(index='reading', columns=['size', 'position'], values='macro_f1', sort=False).round(3).to_string())

if __name__ == '__main__': main()
