"""Weight averaging, one of issue 12's candidates, against the default recipe in the same run: all-MiniLM-L6-v2 on one
seed's 75/15/10 split of `track-a.csv`, scored on its internal test split and on `dev.csv`. Prints the figures.

    python -m bench.averaging --seed 42

One run of the default recipe, trained for all its 5 epochs (no early stopping, so that every epoch is there to average),
gives three models:
- `best epoch`: the epoch with the best validation macro-F1, the one `fit` keeps, the baseline;
- `EMA 0.99`: an exponential moving average of the weights, updated after every optimizer step; with decay 0.99 it
  reaches back about 100 steps, under one epoch of 120. Its best epoch by validation macro-F1 is kept, as for the baseline;
- `SWA, epochs 3-5`: the plain mean of the weights at the ends of epochs 3, 4 and 5, with no choice made on validation.
Every model decides at 0.5, as the default recipe does. `26_experiments` runs it for its rows.

The averages are taken outside the package, by a `Callback` that `fit` calls after every step and epoch: they did not
win, so the package has no option for them.
"""
import argparse, sys
from pathlib import Path

import torch

from emotion_nb.core import cpu_kind, resolve_precision, write_json
from emotion_nb.data import find_track_a, read_track_a
from emotion_nb.evaluation import multilabel_metrics, sigmoid
from emotion_nb.inference import predict_logits
from emotion_nb.run import prepare_run
from emotion_nb.split import run_frames
from emotion_nb.options import recipe_options
from emotion_nb.training import Callback, fit

EMA_DECAY, SWA_EPOCHS = 0.99, (3, 4, 5)

class Averages(Callback):
    "An exponential moving average of the weights, moved `1 - decay` of the way to the new weights after every step, kept at each epoch's end; and the weights at the ends of the `swa` epochs."
    def __init__(self, decay:float=EMA_DECAY, swa=SWA_EPOCHS): self.decay, self.swa, self.emas, self.ends = decay, swa, {}, {}
    def before_fit(self, run): self.shadow = {k: v.detach().clone().float() for k, v in run.model.state_dict().items()}
    @torch.no_grad()
    def after_step(self, run):
        for k, v in run.model.state_dict().items():
            if v.is_floating_point(): self.shadow[k].mul_(self.decay).add_(v.float(), alpha=1 - self.decay)
    def after_epoch(self, run):
        epoch = len(run.hist.epochs)
        if epoch in self.swa: self.ends[epoch] = {k: v.detach().clone() for k, v in run.weights.items()}
        self.emas[epoch] = {k: v.clone() for k, v in self.shadow.items()}

def mean_weights(weights:list) -> dict:
    "The element-wise mean of several state dicts."
    return {k: sum(w[k].float() for w in weights) / len(weights) for k in weights[0]}

def scored(model, loaders:dict, labels:list, weights:dict|None=None) -> dict:
    "Every metric at 0.5 on each of `loaders`, of `model` holding `weights` if given."
    if weights is not None: model.load_state_dict(weights)
    return {split: multilabel_metrics(dl.dataset.labels.numpy(), sigmoid(predict_logits(model, dl)), 0.5, labels) for split, dl in loaders.items()}

def averaging_rows(seed:int, out) -> dict:
    "Train the default recipe for 5 epochs on `seed`'s split, and score its best epoch, its EMA and its SWA; writes and returns `out/metrics.json`."
    cfg = recipe_options('default', model='minilm', seed=seed, patience=99)
    frames, labels = run_frames(find_track_a(), cfg)
    frames['dev'] = read_track_a(find_track_a('dev.csv'), labels, drop_empty=False)
    parts = prepare_run(frames, cfg)
    model, loaders, averages = parts.model, parts.loaders, Averages()
    hist = fit(model, loaders['train'], loaders['valid'], cfg, progress=False, cbs=[averages])
    seconds = sum(e['seconds'] for e in hist.epochs)
    scoring = {k: loaders[k] for k in ('valid', 'test', 'dev')}
    rows = {'best epoch': dict(epochs=hist.best_epoch, **scored(model, scoring, labels))}
    ema_val_f1 = {e: scored(model, {'valid': loaders['valid']}, labels, w)['valid']['macro_f1'] for e, w in averages.emas.items()}
    best_ema = max(ema_val_f1, key=ema_val_f1.get)
    rows[f'EMA {EMA_DECAY}'] = dict(epochs=best_ema, **scored(model, scoring, labels, averages.emas[best_ema]))
    rows[f'SWA, epochs {SWA_EPOCHS[0]}-{SWA_EPOCHS[-1]}'] = dict(epochs=len(hist.epochs), **scored(model, scoring, labels, mean_weights(list(averages.ends.values()))))
    environment = dict(precision=resolve_precision(cfg.precision, next(model.parameters()).device), cpu=cpu_kind())
    record = dict(seed=seed, train_seconds=seconds, history=hist.epochs, rows=rows, environment=environment)
    write_json(Path(out)/'metrics.json', record)
    return record

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--out', default='runs/averaging-seed{seed}', help='directory for metrics.json')
    a = p.parse_args()
    if find_track_a() is None or find_track_a('dev.csv') is None: sys.exit('track-a.csv or dev.csv not found (see README: getting the data)')
    record = averaging_rows(a.seed, a.out.format(seed=a.seed))
    print(f"seed {a.seed}, all-MiniLM-L6-v2, the default recipe for 5 epochs ({record['train_seconds']:.0f} s): python -m bench.averaging --seed {a.seed}\n")
    print(f"| {'model':<16} | epoch | val F1 | test F1 | dev F1 | test exact | dev exact |\n|{'-'*18}|-------|--------|---------|--------|------------|-----------|")
    for name, r in record['rows'].items():
        print(f"| {name:<16} | {r['epochs']:5d} | {r['valid']['macro_f1']:6.3f} | {r['test']['macro_f1']:7.3f} | {r['dev']['macro_f1']:6.3f} "
              f"| {r['test']['exact_match']:10.3f} | {r['dev']['exact_match']:9.3f} |")

if __name__ == '__main__': main()
