"""Speed benchmark: the original notebook's loop against emotion_nb's, side by side in one process, same data and seed.

    python -m bench.speed                               # this CPU: all-MiniLM-L6-v2, the recipe's 10 epochs
    python -m bench.speed --model roberta-shaped         # a GPU: RobertaModel(RobertaConfig()), random weights
    python -m bench.speed --epochs 2 --json out.json     # a quicker look, figures also written as JSON

Both paths train the same encoder with the original recipe (pooler output, lr 1e-5/5e-5, warmup 10%, frozen ->
last 4 layers from epoch 1 -> all from epoch 3, early stop on validation loss, patience 2) on the same split of
`track-a.csv`, and report validation macro-F1 at threshold 0.5 as the original does. Prediction speed is measured
on every text of `track-a.csv` with one trained model, through the original's evaluation loop and through
`Predictor`, the code behind `emotion-nb predict`; the two must give the same probabilities.
"""
import argparse, gc, json, platform, sys, tempfile, time
from datetime import date
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn
from torch.utils.data import DataLoader, Dataset
from transformers import AutoModel, AutoTokenizer, RobertaConfig, RobertaModel, get_linear_schedule_with_warmup

from emotion_nb.core import default_device
from emotion_nb.data import LABELS, find_track_a, read_track_a, split_track_a
from emotion_nb.inference import Predictor
from emotion_nb.persistence import save_model
from emotion_nb.encoder import minilm_path
from emotion_nb.run import prepare_run
from emotion_nb.options import TrainOptions
from emotion_nb.training import fit, set_seed

# ---- The original notebook's code, kept as it was apart from names and the device argument ----

class SeedDataset(Dataset):
    def __init__(self, texts, labels, tokenizer, max_len=128):
        self.texts, self.labels, self.tokenizer, self.max_len = texts, labels.astype('float32'), tokenizer, max_len
    def __len__(self): return len(self.texts)
    def __getitem__(self, idx):
        encoding = self.tokenizer(self.texts[idx], truncation=True, padding='max_length', max_length=self.max_len, return_tensors='pt')
        item = {k: v.squeeze(0) for k, v in encoding.items()}
        item['labels'] = torch.tensor(self.labels[idx])
        item['text'] = self.texts[idx]
        return item

class SeedClassifier(nn.Module):
    def __init__(self, encoder, num_labels=len(LABELS)):
        super().__init__()
        self.bert, self.dropout = encoder, nn.Dropout(0.3)
        self.classifier = nn.Linear(self.bert.config.hidden_size, num_labels)
    def forward(self, input_ids=None, attention_mask=None):
        return self.classifier(self.dropout(self.bert(input_ids=input_ids, attention_mask=attention_mask).pooler_output))

def freeze_all(model):
    for p in model.bert.parameters(): p.requires_grad = False

def unfreeze_last_k_layers(model, k):
    freeze_all(model)
    for layer in model.bert.encoder.layer[-k:]:
        for p in layer.parameters(): p.requires_grad = True

def unfreeze_everything(model):
    for p in model.bert.parameters(): p.requires_grad = True

def run_epoch(model, loader, criterion, device, optimizer=None, scheduler=None):
    model.train() if optimizer else model.eval()
    total_loss, all_preds, all_labels = 0.0, [], []
    for batch in loader:
        input_ids, attn_mask, labels = batch['input_ids'].to(device), batch['attention_mask'].to(device), batch['labels'].to(device)
        with torch.set_grad_enabled(optimizer is not None):
            outputs = model(input_ids, attn_mask)
            loss = criterion(outputs, labels)
            if optimizer:
                optimizer.zero_grad(); loss.backward(); optimizer.step(); scheduler.step()
        total_loss += loss.item()
        all_preds.append(torch.sigmoid(outputs).detach().cpu()); all_labels.append(labels.cpu())
    preds, labels = torch.vstack(all_preds), torch.vstack(all_labels)
    preds_bin = (preds > 0.5).int()
    return total_loss / len(loader), f1_score(labels, preds_bin, average='macro', zero_division=0), np.mean((preds_bin.numpy() == labels.numpy()).all(axis=1))

def seed_fit(encoder, tok, frames, cfg, device, workdir):
    "The original notebook's training cell; returns one record per epoch."
    train_loader = DataLoader(SeedDataset(frames['train'].text.tolist(), frames['train'][LABELS].to_numpy(), tok), batch_size=16, shuffle=True)
    val_loader = DataLoader(SeedDataset(frames['valid'].text.tolist(), frames['valid'][LABELS].to_numpy(), tok), batch_size=16)
    model, criterion = SeedClassifier(encoder).to(device), nn.BCEWithLogitsLoss()
    optimizer = torch.optim.AdamW([{"params": model.bert.parameters(), "lr": cfg.lr_encoder},
                                   {"params": model.classifier.parameters(), "lr": cfg.lr_head}], weight_decay=0.01)
    total_steps = len(train_loader) * cfg.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=int(0.1 * total_steps), num_training_steps=total_steps)
    freeze_all(model)
    best_val_loss, best_val_f1, epochs_no_improve, history = float('inf'), -1, 0, []
    for epoch in range(cfg.epochs):
        if epoch == 1: unfreeze_last_k_layers(model, 4)
        if epoch == 3: unfreeze_everything(model)
        start = time.perf_counter()
        run_epoch(model, train_loader, criterion, device, optimizer, scheduler)
        train_seconds = time.perf_counter() - start
        vl_loss, vl_f1, _ = run_epoch(model, val_loader, criterion, device)
        history.append(dict(epoch=epoch + 1, val_f1=vl_f1, val_loss=vl_loss, train_seconds=train_seconds, seconds=time.perf_counter() - start))
        if vl_loss < best_val_loss: best_val_loss, epochs_no_improve = vl_loss, 0
        else: epochs_no_improve += 1
        if vl_f1 > best_val_f1:
            best_val_f1 = vl_f1
            torch.save(model.state_dict(), workdir/'bert_emotion_best.pt')
        if epochs_no_improve >= cfg.patience: break
    return history

def seed_predict(model, tok, texts, device):
    "The original notebook's `evaluate` loop (batches of 16, padded to 128, `no_grad`); probabilities in text order."
    loader = DataLoader(SeedDataset(texts, np.zeros((len(texts), len(LABELS))), tok), batch_size=16)
    model.eval(); out = []
    with torch.no_grad():
        for batch in loader: out.append(torch.sigmoid(model(batch['input_ids'].to(device), batch['attention_mask'].to(device))).cpu())
    return torch.vstack(out).numpy()

# ---- Measuring ----

def _proc_status_gib(key:str) -> float:
    return int(next(l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith(key)).split()[1]) / 2**20

class PeakMemory:
    """Peak memory of a block of code: allocated GPU memory on CUDA; on a Linux CPU, how far the process's resident set
    rose above where it stood when the block began (Linux lets a process reset its high-water mark)."""
    def __init__(self, device): self.device = device
    def __enter__(self):
        gc.collect()
        if self.device.type == 'cuda': torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
        else: Path('/proc/self/clear_refs').write_text('5'); self.base = _proc_status_gib('VmRSS')
        return self
    def __exit__(self, *exc):
        if self.device.type == 'cuda': torch.cuda.synchronize(); self.gib = torch.cuda.max_memory_allocated() / 2**30
        else: self.gib = _proc_status_gib('VmHWM') - self.base

def timed(device, fn, *args):
    "`fn(*args)`, its wall seconds and peak memory in GiB."
    with PeakMemory(device) as mem:
        start = time.perf_counter()
        out = fn(*args)
        if device.type == 'cuda': torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    return out, seconds, mem.gib

def encoder_source(name:str, tokenizer:str|None, workdir:Path) -> str:
    "A local directory holding the encoder and its tokenizer: MiniLM, a given path, or a random roberta-base-shaped one."
    if name == 'minilm': return str(minilm_path())
    if name != 'roberta-shaped': return name
    torch.manual_seed(0)
    path = workdir/'roberta-shaped'
    RobertaModel(RobertaConfig()).save_pretrained(path)  # vocab 50265, 12 layers, hidden 768: roberta-base's work per step
    AutoTokenizer.from_pretrained(tokenizer or str(minilm_path())).save_pretrained(path)
    return str(path)

def stage_means(history, key) -> dict:
    "Mean of `key` over the epochs of each freezing stage of the original schedule."
    stages = {'frozen': [0], 'last 4': [1, 2], 'all': list(range(3, len(history)))}
    return {s: float(np.mean([history[i][key] for i in ix if i < len(history)])) for s, ix in stages.items() if ix and ix[0] < len(history)}

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model', default='minilm', help="'minilm', 'roberta-shaped' (random roberta-base weights) or a local path")
    p.add_argument('--tokenizer', help="tokenizer for 'roberta-shaped' (default: MiniLM's; token ids fit roberta's vocabulary)")
    p.add_argument('--data', type=Path, help='track-a.csv (default: found under shared/data)')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--json', type=Path, help='also write the figures here')
    a = p.parse_args(argv)
    data = a.data or find_track_a()
    if data is None: sys.exit('track-a.csv not found: pass --data or set EMOTION_NB_DATA')
    device, workdir = default_device(), Path(tempfile.mkdtemp())
    source = encoder_source(a.model, a.tokenizer, workdir)
    frames = dict(zip(['train', 'valid', 'test'], split_track_a(read_track_a(data))))
    all_texts = read_track_a(data, drop_empty=False).text.tolist()
    cfg = TrainOptions(model=source, pooling='pooler', thresholds=0.5, epochs=a.epochs)
    n_train = len(frames['train'])
    print(f"{date.today()} | {platform.node()} | device {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else platform.processor() or 'cpu'}, "
          f"{torch.get_num_threads()} threads) | torch {torch.__version__} | model {a.model} | {n_train} training texts | {cfg.epochs} epochs", flush=True)

    set_seed(cfg.seed)
    tok = AutoTokenizer.from_pretrained(source)
    slow_hist, slow_fit_s, slow_fit_mem = timed(device, seed_fit, AutoModel.from_pretrained(source), tok, frames, cfg, device, workdir)
    print(f"original loop: {len(slow_hist)} epochs in {slow_fit_s:.1f} s", flush=True)

    parts = prepare_run(frames, cfg)
    model, tok, loaders = parts.model.to(device), parts.tokenizer, parts.loaders
    fast_hist, fast_fit_s, fast_fit_mem = timed(device, lambda: fit(model, loaders['train'], loaders['valid'], cfg, progress=False).epochs)
    print(f"emotion_nb fit: {len(fast_hist)} epochs in {fast_fit_s:.1f} s", flush=True)

    predictor = Predictor.load(save_model(workdir/'model', model, tok, LABELS, 0.5, cfg.max_len), device)
    exact = Predictor.load(workdir/'model', device, precision='fp32')  # the original loop knows only float32
    slow_probs, slow_pred_s, slow_pred_mem = timed(device, seed_predict, exact.model, exact.tokenizer, all_texts, device)
    fast_probs, fast_pred_s, fast_pred_mem = timed(device, predictor.predict_proba, all_texts)
    max_diff = float(np.abs(slow_probs - fast_probs).max())

    full = lambda h: [e for e in h[3:]] or h[-1:]
    train_sps = lambda h: n_train * len(full(h)) / sum(e['train_seconds'] for e in full(h))
    best_f1 = lambda h: max(e['val_f1'] for e in h)
    rows = [('fit wall time, s', slow_fit_s, fast_fit_s, slow_fit_s / fast_fit_s),
            *[(f'seconds per epoch, {s}', v, stage_means(fast_hist, 'seconds')[s], v / stage_means(fast_hist, 'seconds')[s])
              for s, v in stage_means(slow_hist, 'seconds').items() if s in stage_means(fast_hist, 'seconds')],
            ('training samples/s (all trainable)', train_sps(slow_hist), train_sps(fast_hist), train_sps(fast_hist) / train_sps(slow_hist)),
            (f'prediction samples/s ({len(all_texts)} texts)', len(all_texts) / slow_pred_s, len(all_texts) / fast_pred_s, slow_pred_s / fast_pred_s),
            ('peak memory in fit, GiB', slow_fit_mem, fast_fit_mem, slow_fit_mem / fast_fit_mem),
            ('peak memory in prediction, GiB', slow_pred_mem, fast_pred_mem, slow_pred_mem / fast_pred_mem),
            ('best validation macro-F1 @0.5', best_f1(slow_hist), best_f1(fast_hist), best_f1(fast_hist) - best_f1(slow_hist))]
    print(f"\n| {'measure':<38} | {'original':>9} | {'emotion_nb':>10} | {'ratio':>7} |\n|{'-'*40}|{'-'*11}|{'-'*12}|{'-'*9}|")
    for name, slow, fast, ratio in rows:
        kind = 'diff' if 'F1' in name else 'x'
        print(f"| {name:<38} | {slow:>9.3f} | {fast:>10.3f} | {ratio:>+6.3f} |" if kind == 'diff' else
              f"| {name:<38} | {slow:>9.2f} | {fast:>10.2f} | {ratio:>6.2f}x |")
    print(f"\nsame trained model, both prediction loops: largest probability difference {max_diff:.2e}")
    if a.json:
        a.json.write_text(json.dumps(dict(date=str(date.today()), device=str(device), model=a.model, epochs=cfg.epochs, rows=rows,
                                          max_prob_diff=max_diff, original=slow_hist, emotion_nb=fast_hist), indent=2, default=float))

if __name__ == '__main__': main()
