"""Does training on documents teach a model to read them? A run's recipe, trained again on documents made of its own
training texts, against the run itself, trained on the single texts.

    python -m bench.documents_training --run runs/minilm --out bench/out/documents --record nbs/documents_training.csv

Every training and validation text of the run becomes a document two windows long, hidden among texts of
`track-a.csv` with no emotion (first or last, in turn), with the text's labels. The neutral texts are split in two: one
half makes the training documents, the other the test documents, so that no test document holds a text either model
was taught. Both models are scored at their own thresholds, read the package's default way, on documents made of the
run's internal test texts (1, 2, 4 and 8 windows long, as `bench/documents.py` makes them) and on those test texts
alone.
"""
import argparse, json, platform, warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from bench.documents import documents
from emotion_nb.catalog import data_path
from emotion_nb.core import cpu_kind
from emotion_nb.data import read_track_a
from emotion_nb.evaluation import multilabel_metrics
from emotion_nb.inference import Predictor
from emotion_nb.options import COMBINE, LONG, TrainOptions, encoder_name
from emotion_nb.run import train_run
from emotion_nb.split import run_frames

def taught(rows:pd.DataFrame, neutral:list, window:int, count, seed:int) -> pd.DataFrame:
    "Each row's text hidden among `neutral` texts until it is two windows long, first or last in turn."
    rng, texts = np.random.default_rng(seed), []
    for i, t in enumerate(rows['text']):
        doc, tokens = [t], count(t)
        while tokens < 2 * window:
            doc.append(f := neutral[rng.integers(len(neutral))]); tokens += count(f)
        texts.append(' '.join(doc if i % 2 else doc[1:] + doc[:1]))
    return rows.assign(text=texts)

def scores(model, docs:pd.DataFrame, alone:pd.DataFrame, labels:list) -> dict:
    "Macro-F1 of `model` on the test documents and on the test texts alone, at its thresholds."
    p = Predictor.load(model)
    f1 = lambda df: multilabel_metrics(df[labels].to_numpy(), p.predict_proba(df['text'].tolist()), p.thresholds, labels)['macro_f1']
    return dict(documents=f1(docs), alone=f1(alone))

def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--run', type=Path, default=Path('runs/minilm'), help='a finished run, trained on single texts')
    a.add_argument('--out', type=Path, default=Path('bench/out/documents'), help='where the documents and the new run go')
    a.add_argument('--texts', type=int, default=150, help='test texts to hide in test documents')
    a.add_argument('--record', default='nbs/documents_training.csv', help='the record to write')
    a = a.parse_args()
    warnings.filterwarnings('ignore', 'ROC AUC')
    r = json.loads((a.run/'metrics.json').read_text())
    cfg = TrainOptions.from_dict(r['options'])
    frames, labels = run_frames(data_path(r['data']['path']), cfg)
    p = Predictor.load(a.run/'model')
    window = p.meta['max_len'] - 2
    count = lambda t: len(p.windows.encode(t, add_special_tokens=False).ids)
    pool = read_track_a(data_path('semeval:eng'), labels, drop_empty=False)
    neutral = [t for t in pool[pool[labels].sum(axis=1) == 0]['text'] if count(t) < window]
    neutral = [neutral[i] for i in np.random.default_rng(0).permutation(len(neutral))]
    teach, hold = neutral[:len(neutral) // 2], neutral[len(neutral) // 2:]
    a.out.mkdir(parents=True, exist_ok=True)
    for part, seed in (('train', 1), ('valid', 2)): taught(frames[part], teach, window, count, seed).to_csv(a.out/f'{part}.csv', index=False)
    frames['test'].to_csv(a.out/'test.csv', index=False)
    run = train_run(a.out/'train.csv', a.out/'run', cfg, progress=False, valid=a.out/'valid.csv', test=a.out/'test.csv', overwrite=True)
    docs = documents(frames['test'], hold, labels, window, a.texts, count)
    rows = [dict(trained_on=name, **scores(model, docs, frames['test'], labels), train_seconds=rec['train_seconds'])
            for name, model, rec in (('single texts', a.run/'model', r), ('documents', a.out/'run'/'model', run))]
    record = pd.DataFrame(rows).assign(cpu=cpu_kind(), date=str(date.today()), precision=p.precision, long=LONG, combine=COMBINE,
                                       model=f"{encoder_name(cfg.model)}, seed {cfg.seed}", test_documents=len(docs),
                                       threads=torch.get_num_threads(), machine=platform.processor() or 'cpu')
    record.to_csv(a.record, index=False)
    print(record.to_string())

if __name__ == '__main__': main()
