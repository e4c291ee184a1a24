"""Intensity (SemEval-2025 Track B, English): does the package's ordinal head beat the peer, and do intensities teach
presence better than 0/1 labels? Four arms on the same texts, the same seed's 75/15/10 split of `semeval-b:eng`, and the
same encoder, each trained once per seed:

- `ordinal`: `train('semeval-b:eng')`, the default recipe on intensities (the ordinal head, `05_modeling_emotion_nb`);
- `coral`: the same with `ordinal='coral'`, CORAL's head (one score per emotion shared by its levels);
- `presence`: the default recipe on the same rows with 0/1 labels (intensity >= 1), as Track A has them;
- `trainer regression`: Hugging Face `Trainer` with `problem_type='regression'` (one output per emotion, MSE), its
  predictions rounded and clipped to 0-3, the epoch with the best validation r kept; `bf16=True` where the package runs
  bf16, as every like-for-like comparison here does.

Each is scored on the internal test split and on the official `dev` files: r (Pearson per emotion, averaged, the task's
score) for the arms that give intensities, and presence macro-F1 for all, on Track B's dev (intensity >= 1) and Track A's
`dev.csv`. Writes `nbs/intensity.csv`, one row per arm and seed, with the CPU kind and precision.

    python -m bench.intensity                     # MiniLM, seeds 42 43 44
    python -m bench.intensity --model mpnet-dir   # another encoder, by directory

`--languages` instead trains the default recipe on every Track B language that has a training file (from the folder
`EMOTION_NB_DATA_B` names, such as `../shared/data/semeval2025-track-b`), one seed, and scores r on its internal test
split and its official dev file: `nbs/intensity_languages.csv`, a row per language and encoder.
"""
import argparse, shutil, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_nb.core import cpu_kind, default_device, resolve_precision
from emotion_nb.data import LABELS, read_track_a, split_track_a
from emotion_nb.encoder import resolve_model
from emotion_nb.inference import Predictor
from emotion_nb.intensity import mean_r
from emotion_nb.evaluation import macro_f1
from emotion_nb.run import train

def _dev():
    return read_track_a('semeval-b:eng/dev', drop_empty=False), read_track_a('semeval:eng/dev', drop_empty=False)

def package_arm(model:str, seed:int, work:Path, arm:str) -> dict:
    "The default recipe on intensities (`arm` `ordinal` or `coral`, its head) or on the same rows' `presence`; its figures on test and dev."
    rows, graded = read_track_a('semeval-b:eng', drop_empty=False), arm != 'presence'
    data = rows if graded else rows.assign(**{l: (rows[l] >= 1).astype('int8') for l in LABELS})
    t = time.perf_counter()
    r = train(data, work/f'{arm}-{seed}', model=model, seed=seed, progress=False, ordinal='coral' if arm == 'coral' else 'steps')
    seconds = time.perf_counter() - t
    p, (dev_b, dev_a) = Predictor.load(work/f'{arm}-{seed}'/'model'), _dev()
    row = dict(arm=arm, seed=seed, test_f1=r['test']['macro_f1'],
               dev_f1=p.evaluate(dev_a)['macro_f1'], epochs=len(r['history']), seconds=seconds, precision=r['environment']['precision'])
    if graded:
        i, d = r['test']['intensity'], p.evaluate(dev_b)['intensity']
        row |= dict(test_r=i['pearson_r'], test_r_expected=i['expected']['pearson_r'], test_r_round=i['rules']['round'],
                    test_r_thresholds=i['rules']['thresholds'], dev_r=d['pearson_r'], rule=i['rule'])
    return row

def trainer_arm(model:str, seed:int, work:Path) -> dict:
    "Trainer's regression recipe on the same split; its rounded predictions' r, and presence (a rounded intensity >= 1) F1."
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer, TrainingArguments
    source, _ = resolve_model(model)
    train_df, valid, test = split_track_a(read_track_a('semeval-b:eng'), seed)
    dev_b, dev_a = _dev()
    tok = AutoTokenizer.from_pretrained(source)
    def encoded(df):
        enc = tok(df['text'].tolist(), truncation=True, max_length=128)
        return [{'input_ids': i, 'attention_mask': m, 'labels': y.astype(np.float32)} for i, m, y in zip(enc['input_ids'], enc['attention_mask'], df[LABELS].to_numpy())]
    rounded = lambda x: np.clip(np.rint(x), 0, 3).astype(int)
    def r_metric(pred): return {'r': np.nan_to_num(mean_r(pred.label_ids, rounded(pred.predictions))[0], nan=-1.0)}
    net = AutoModelForSequenceClassification.from_pretrained(source, num_labels=len(LABELS), problem_type='regression')
    bf16 = resolve_precision('auto', default_device()) == 'bf16'
    args = TrainingArguments(str(work/f'trainer-{seed}'), per_device_train_batch_size=16, per_device_eval_batch_size=64, learning_rate=1e-4,
                             num_train_epochs=5, train_sampling_strategy='group_by_length', eval_strategy='epoch', save_strategy='epoch',
                             save_total_limit=1, load_best_model_at_end=True, metric_for_best_model='r', logging_strategy='epoch',
                             report_to='none', seed=seed, disable_tqdm=True, bf16=bf16, use_cpu=not torch.cuda.is_available())
    trainer = Trainer(model=net, args=args, train_dataset=encoded(train_df), eval_dataset=encoded(valid),
                      data_collator=DataCollatorWithPadding(tok), compute_metrics=r_metric)
    t = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t
    def scored(df):  # Trainer returns predictions and label_ids in the same (length-grouped) order
        out = trainer.predict(encoded(df))
        y, pred = out.label_ids.astype(int), rounded(out.predictions)
        return mean_r(y, pred)[0], macro_f1(y >= 1, pred >= 1)
    (test_r, test_f1), (dev_r, _), (_, dev_f1) = scored(test), scored(dev_b), scored(dev_a)
    shutil.rmtree(work/f'trainer-{seed}', ignore_errors=True)
    return dict(arm='trainer regression', seed=seed, test_f1=test_f1, dev_f1=dev_f1, test_r=test_r, dev_r=dev_r,
                epochs=len([h for h in trainer.state.log_history if 'eval_r' in h]), seconds=seconds, precision='bf16' if bf16 else 'fp32')

def language_row(model:str, lang:str, work:Path) -> dict:
    "The default recipe on one language's Track B training file; r and presence macro-F1 on its test split and dev file."
    t = time.perf_counter()
    r = train(f'semeval-b:{lang}', work/f'{lang}', model=model, progress=False)
    dev = Predictor.load(work/lang/'model').evaluate(read_track_a(f'semeval-b:{lang}/dev', r['labels'], drop_empty=False, intensity=3))
    return dict(language=lang, labels=len(r['labels']), train_rows=r['data']['train_rows'], test_r=r['test']['intensity']['pearson_r'],
                dev_r=dev['intensity']['pearson_r'], test_f1=r['test']['macro_f1'], dev_f1=dev['macro_f1'],
                seconds=time.perf_counter() - t, precision=r['environment']['precision'])

def other_rows(out:str, name:str) -> list:
    "The rows of `out` that other encoders wrote: a run of one encoder replaces its own rows and keeps theirs."
    old = pd.read_csv(out) if Path(out).is_file() else pd.DataFrame(columns=['model'])
    return old[old['model'] != name].to_dict('records')

def languages(model:str, out:str):
    "`language_row` for every Track B language with a training file, kept in `out` as it grows (other encoders' rows stay)."
    from emotion_nb.catalog import TRACKS, pinned_sha256
    work, name = Path(tempfile.mkdtemp(prefix='bench-intensity-')), Path(model).name
    rows = other_rows(out, name)
    for lang in TRACKS['b'].languages:
        if f'train/{lang}.csv' not in pinned_sha256('b'): continue  # Romanian: dev and test only
        rows.append(dict(model=name, cpu=cpu_kind(), **language_row(model, lang, work)))
        print(rows[-1], flush=True)
        pd.DataFrame(rows).to_csv(out, index=False)
    shutil.rmtree(work, ignore_errors=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--model', default='minilm')
    ap.add_argument('--seeds', type=int, nargs='+', default=[42, 43, 44])
    ap.add_argument('--arms', nargs='+', default=['ordinal', 'coral', 'presence', 'trainer'])
    ap.add_argument('--out', default=None, help='default: nbs/intensity.csv, or nbs/intensity_languages.csv with --languages')
    ap.add_argument('--languages', action='store_true', help='every Track B language with a training file, one seed')
    a = ap.parse_args()
    if a.languages: return languages(a.model, a.out or 'nbs/intensity_languages.csv')
    a.out = a.out or 'nbs/intensity.csv'
    work, rows = Path(tempfile.mkdtemp(prefix='bench-intensity-')), other_rows(a.out, Path(a.model).name)
    print(f"CPU: {cpu_kind()}; device {default_device()}; encoder {a.model}", flush=True)
    for seed in a.seeds:
        for arm in a.arms:
            row = trainer_arm(a.model, seed, work) if arm == 'trainer' else package_arm(a.model, seed, work, arm)
            rows.append(dict(model=Path(a.model).name, cpu=cpu_kind(), **row))
            print(rows[-1], flush=True)
            pd.DataFrame(rows).to_csv(a.out, index=False)  # kept as it grows: an interrupted run keeps its rows
    shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
