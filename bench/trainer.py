"""The peer users would pick instead: Hugging Face `Trainer`'s documented multi-label recipe against emotion_nb's default
recipe, side by side in one process, same encoder, split and seed. Prints the figures and their ratios.

    python -m bench.trainer                  # all-MiniLM-L6-v2, 5 epochs, on whatever device is present
    python -m bench.trainer --epochs 1       # a quicker look

`python -m bench.trainer --reference --seed 42` trains Trainer's recipe as the quality reference row of `26_experiments`.

Trainer: `AutoModelForSequenceClassification` with `problem_type='multi_label_classification'`, `DataCollatorWithPadding`,
length-grouped sampling, lr 1e-4, batch 16, evaluation batch 64, validation macro-F1 at 0.5 after every epoch.
emotion_nb: `fit` with the default recipe (mean pooling, lr 1e-4/1e-3, every layer trainable, length-grouped batches).
Both train on the seed-42 75/15/10 split of `track-a.csv`; both predict every text of `track-a.csv` with the model they
trained. Per-epoch times include each epoch's validation, for both. Each side runs in a fresh child process of this one,
one after the other, so that its peak memory (the child's peak resident set, on a CPU) is its own.

Like for like: where emotion_nb's `auto` precision is bf16 (a CPU with AVX-512 BF16 or AMX, a recent GPU), Trainer runs
with `bf16=True` too, and its fp32 run is shown beside it; each ratio compares emotion_nb with Trainer at emotion_nb's
precision. The first line names the CPU kind (`emotion_nb.core.cpu_kind`).
"""
import argparse, multiprocessing, platform, resource, shutil, sys, tempfile
from datetime import date
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score
from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer, TrainingArguments

from emotion_nb.core import cpu_kind, default_device, resolve_precision
from emotion_nb.data import LABELS, find_track_a, read_track_a, split_track_a
from emotion_nb.evaluation import binarize, macro_f1
from emotion_nb.inference import Predictor
from emotion_nb.persistence import save_model
from emotion_nb.encoder import minilm_path
from emotion_nb.run import prepare_run
from emotion_nb.options import recipe_options
from emotion_nb.training import fit
from bench.speed import timed

def encoded(tok, df) -> list:
    "Trainer's dataset: one dict per text, token ids unpadded and float labels, as its multi-label recipe has it."
    enc = tok(df['text'].tolist(), truncation=True, max_length=128)
    return [{'input_ids': ids, 'attention_mask': m, 'labels': y.astype(np.float32)} for ids, m, y in zip(enc['input_ids'], enc['attention_mask'], df[LABELS].to_numpy())]

def macro_f1_at_half(pred) -> dict:
    return {'macro_f1': f1_score(pred.label_ids, (1 / (1 + np.exp(-pred.predictions)) >= 0.5), average='macro', zero_division=0)}

def trainer_run(path, frames, all_texts, epochs:int, out:str, device, bf16:bool=False) -> dict:
    "Train and predict with Trainer (under its `bf16=True` if `bf16`); its seconds, validation F1 per epoch and prediction speed."
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=len(LABELS), problem_type='multi_label_classification')
    args = TrainingArguments(out, per_device_train_batch_size=16, per_device_eval_batch_size=64, learning_rate=1e-4, num_train_epochs=epochs,
                             train_sampling_strategy='group_by_length', eval_strategy='epoch', save_strategy='no', logging_strategy='epoch',
                             report_to='none', seed=42, disable_tqdm=True, use_cpu=device.type == 'cpu', bf16=bf16)
    trainer = Trainer(model=model, args=args, train_dataset=encoded(tok, frames['train']), eval_dataset=encoded(tok, frames['valid']),
                      data_collator=DataCollatorWithPadding(tok), compute_metrics=macro_f1_at_half)
    _, fit_s, fit_mem = timed(device, trainer.train)
    f1s = [h['eval_macro_f1'] for h in trainer.state.log_history if 'eval_macro_f1' in h]
    texts = [{'input_ids': e['input_ids'], 'attention_mask': e['attention_mask']} for e in encoded(tok, all_texts.assign(**{l: 0 for l in LABELS}))]
    trainer.predict(texts)  # warm up: every batch shape once, as for emotion_nb below
    _, pred_s, pred_mem = timed(device, trainer.predict, texts)
    return dict(fit_s=fit_s, fit_mem=fit_mem, f1=max(f1s), epochs=len(f1s), pred_s=pred_s, pred_mem=pred_mem)

def scored(out) -> dict:
    """Every metric at 0.5 of `Trainer.predict`'s output. With length-grouped training its predictions come back reordered
    (transformers 5 groups evaluation batches by length too); its `label_ids` come in the same order, so we score those."""
    from emotion_nb.evaluation import multilabel_metrics
    return multilabel_metrics(out.label_ids.astype(int), 1 / (1 + np.exp(-out.predictions)), 0.5, LABELS)

def trainer_reference(seed:int, out) -> dict:
    """Trainer's recipe as a quality reference: trained on `seed`'s 75/15/10 split of `track-a.csv`, the epoch with the best
    validation macro-F1 at 0.5 kept, then scored at 0.5 on the internal test split and on `dev.csv`. Writes `out/metrics.json`."""
    from emotion_nb.core import write_json
    train, valid, test = split_track_a(read_track_a(find_track_a()), seed)
    dev = read_track_a(find_track_a('dev.csv'), drop_empty=False)
    tok = AutoTokenizer.from_pretrained(minilm_path())
    model = AutoModelForSequenceClassification.from_pretrained(minilm_path(), num_labels=len(LABELS), problem_type='multi_label_classification')
    args = TrainingArguments(str(out), per_device_train_batch_size=16, per_device_eval_batch_size=64, learning_rate=1e-4, num_train_epochs=5,
                             train_sampling_strategy='group_by_length', eval_strategy='epoch', save_strategy='epoch', save_total_limit=1,
                             load_best_model_at_end=True, metric_for_best_model='macro_f1', logging_strategy='epoch', report_to='none',
                             seed=seed, disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=encoded(tok, train), eval_dataset=encoded(tok, valid),
                      data_collator=DataCollatorWithPadding(tok), compute_metrics=macro_f1_at_half)
    result = trainer.train()
    scores = {name: scored(trainer.predict(encoded(tok, df))) for name, df in [('validation', valid), ('test', test), ('dev', dev)]}
    record = dict(seed=seed, epochs=len([h for h in trainer.state.log_history if 'eval_macro_f1' in h]), best_checkpoint=trainer.state.best_model_checkpoint,
                  train_seconds=result.metrics['train_runtime'], **scores)
    write_json(Path(out)/'metrics.json', record)
    for ckpt in Path(out).glob('checkpoint-*'): shutil.rmtree(ckpt)
    return record

def package_run(path, frames, all_texts, epochs:int, out, device) -> dict:
    "Train with `fit` (the default recipe) and predict with `Predictor`; the same figures."
    cfg = recipe_options('default', model=str(path), epochs=epochs)  # precision 'auto': bf16 only where it is native
    parts = prepare_run(frames, cfg)
    model, tok, loaders = parts.model, parts.tokenizer, parts.loaders
    hist, fit_s, fit_mem = timed(device, fit, model.to(device), loaders['train'], loaders['valid'], cfg, False)
    predictor = Predictor.load(save_model(out, model, tok, LABELS), device)
    predictor.predict_proba(all_texts['text'].tolist())  # warm up: every batch shape once (on a GPU, first uses cost most)
    _, pred_s, pred_mem = timed(device, predictor.predict_proba, all_texts['text'].tolist())
    return dict(fit_s=fit_s, fit_mem=fit_mem, f1=hist.best_val_f1, epochs=len(hist.epochs), pred_s=pred_s, pred_mem=pred_mem, precision=predictor.precision)

def precision_check(model_dir:str) -> dict:
    """The fast paths against the exact one on the package's trained model, over every text of `track-a.csv`: texts/s at
    `fp32`, with float32 weights under bfloat16 autocast (what `Predictor` does at `bf16`, as training does), and with the
    weights held in bfloat16; and how far each one's labels and macro-F1 agree with `fp32`'s."""
    texts = read_track_a(find_track_a(), drop_empty=False)
    y, device, out = texts[LABELS].to_numpy(), default_device(), {}
    for name, precision in (('fp32', 'fp32'), ('bf16 autocast', 'bf16'), ('bf16 weights', 'bf16')):
        p = Predictor.load(model_dir, device, precision=precision)
        if name == 'bf16 weights': p.model.to(torch.bfloat16)  # `predict_logits` runs bfloat16 weights as they are
        p.predict_proba(texts['text'].tolist())  # warm up: every batch shape once
        probs, seconds, _ = timed(device, p.predict_proba, texts['text'].tolist())
        pred = binarize(probs, p.thresholds)
        out[name] = dict(texts_s=len(texts) / seconds, pred=pred, f1=macro_f1(y, pred))
    return {name: dict(texts_s=o['texts_s'], f1=o['f1'], agree=float((o['pred'] == out['fp32']['pred']).mean())) for name, o in out.items()}

def side(run, epochs:int, out:str, **kwargs) -> dict:
    "One side's figures, from inside its own process, with that process's peak resident memory in GiB."
    track_a, device = find_track_a(), default_device()
    frames = dict(zip(['train', 'valid', 'test'], split_track_a(read_track_a(track_a))))
    figures = run(minilm_path(), frames, read_track_a(track_a, drop_empty=False), epochs, out, device, **kwargs)
    if device.type == 'cpu': figures['fit_mem'] = figures['pred_mem'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return figures

def in_child(fn, *args, **kwargs):
    "`fn(*args, **kwargs)` in a fresh process."
    with multiprocessing.get_context('spawn').Pool(1) as pool: return pool.apply(fn, args, kwargs)

def table(peers:dict, ours:dict, n_train:int, n_all:int, cpu:bool) -> str:
    "The Markdown table: each Trainer run, emotion_nb, and the ratio against the Trainer run at emotion_nb's precision."
    names, like = list(peers), peers[f"Trainer {ours['precision']}"]
    memory = [('peak memory, GiB (whole process)', 'fit_mem')] if cpu else [('peak memory in training, GiB', 'fit_mem'), ('peak memory in prediction, GiB', 'pred_mem')]
    speed = {'training samples/s (per epoch, with validation)': lambda r: n_train * r['epochs'] / r['fit_s'],
             f'prediction texts/s ({n_all} texts)': lambda r: n_all / r['pred_s']}
    head = f"| measure | {' | '.join(names)} | emotion_nb {ours['precision']} | emotion_nb vs Trainer {ours['precision']} |"
    lines = [head, '|---' * (len(names) + 3) + '|']
    for name, f in speed.items(): lines.append(f"| {name} | {' | '.join(f'{f(r):.2f}' for r in peers.values())} | {f(ours):.2f} | {f(ours) / f(like):.2f}x |")
    for name, k in memory: lines.append(f"| {name} | {' | '.join(f'{r[k]:.2f}' for r in peers.values())} | {ours[k]:.2f} | {like[k] / max(ours[k], 1e-9):.2f}x less |")
    lines.append(f"| epochs run | {' | '.join(str(r['epochs']) for r in peers.values())} | {ours['epochs']} | |")
    lines.append(f"| best validation macro-F1 (at 0.5) | {' | '.join(format(r['f1'], '.3f') for r in peers.values())} | {ours['f1']:.3f} | {ours['f1'] - like['f1']:+.3f} |")
    return '\n'.join(lines)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--reference', action='store_true', help="train Trainer's recipe on --seed's split as 26_experiments' reference row")
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--out', default='runs/trainer-seed{seed}', help='with --reference: the directory for metrics.json')
    a = p.parse_args()
    if a.reference: return print(trainer_reference(a.seed, a.out.format(seed=a.seed))['test']['macro_f1'])
    track_a = find_track_a()
    if track_a is None: sys.exit('track-a.csv not found (see README: getting the data)')
    work, device = tempfile.mkdtemp(), default_device()
    bf16 = resolve_precision('auto', device) == 'bf16'
    peers = {'Trainer fp32': in_child(side, trainer_run, a.epochs, work + '/trainer')}
    if bf16: peers['Trainer bf16'] = in_child(side, trainer_run, a.epochs, work + '/trainer-bf16', bf16=True)
    ours = in_child(side, package_run, a.epochs, work + '/ours')
    n_train, n_all = len(split_track_a(read_track_a(track_a))[0]), len(read_track_a(track_a, drop_empty=False))
    cpu = platform.processor() or platform.machine()
    print(f"{date.today()}, {device} ({torch.get_num_threads()} threads, {cpu}, {cpu_kind()}), torch {torch.__version__}, all-MiniLM-L6-v2, "
          f"{a.epochs} epochs, emotion_nb precision {ours['precision']}: python -m bench.trainer --epochs {a.epochs}\n")
    print(table(peers, ours, n_train, n_all, device.type == 'cpu'))
    check = in_child(precision_check, work + '/ours')
    like = n_all / peers[f"Trainer {ours['precision']}"]['pred_s']
    print(f"\nemotion_nb's model, every text of track-a.csv ({n_all}), by precision:")
    for name, c in check.items():
        print(f"  {name:<14} {c['texts_s']:8.1f} texts/s ({c['texts_s'] / check['fp32']['texts_s']:.2f}x fp32, {c['texts_s'] / like:.2f}x Trainer {ours['precision']}); "
              f"labels agree with fp32 on {c['agree']:.2%} of (text, label) pairs; macro-F1 {c['f1']:.4f}")

if __name__ == '__main__': main()
