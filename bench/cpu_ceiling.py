"""What this CPU can reach when predicting with all-MiniLM-L6-v2, and what the lower-precision paths would give. Prints:

1. fp32 matrix-product throughput (GFLOP/s) at the shapes of one MiniLM layer, and its lower precisions where torch has them;
2. the prediction ceiling that implies: tokens in `Predictor`'s length-sorted batches over `track-a.csv`, times the work per
   token of the encoder's linear layers, at the best fp32 throughput, against the texts/s `Predictor` measures;
3. int8 dynamic quantization (`torch.ao.quantization.quantize_dynamic`) of each group of Linear layers: texts/s against
   fp32 and how often its 0/1 labels agree with fp32's.

    python -m bench.cpu_ceiling --model-dir runs/minilm/model
"""
import argparse, copy, sys, time, warnings

import numpy as np
import torch
from torch.ao.quantization import quantize_dynamic

from emotion_nb.data import find_track_a, read_track_a
from emotion_nb.evaluation import binarize, macro_f1
from emotion_nb.inference import Predictor

def gflops(m:int, k:int, n:int, dtype=torch.float32, repeat:int=50) -> float:
    "Throughput of an (m x k) @ (k x n) product in `dtype`."
    a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
    for _ in range(5): a @ b
    start = time.perf_counter()
    for _ in range(repeat): a @ b
    return 2 * m * k * n * repeat / (time.perf_counter() - start) / 1e9

def sorted_batch_tokens(predictor:Predictor, texts:list) -> int:
    "Tokens `Predictor` pushes through the encoder for `texts`: each length-sorted batch padded to its longest text."
    lengths = np.sort([len(ids) for ids in predictor.tokenizer(texts, truncation=True, max_length=predictor.meta['max_len'])['input_ids']])
    return int(sum(b.max() * len(b) for b in np.array_split(lengths, -(-len(lengths) // predictor.batch_size))))

def linear_flops_per_token(model) -> int:
    "Multiply-adds times two of every Linear layer in the encoder, per token."
    return 2 * sum(m.in_features * m.out_features for m in model.encoder.modules() if isinstance(m, torch.nn.Linear))

def texts_per_s(predictor:Predictor, texts:list) -> tuple:
    predictor.predict_proba(texts[:200])
    start = time.perf_counter()
    probs = predictor.predict_proba(texts)
    return probs, len(texts) / (time.perf_counter() - start)

QUANTIZED = {'every Linear layer': ['encoder.'], 'attention only': ['attention.self', 'attention.output.dense'],
             'feed-forward only': ['intermediate.dense', 'output.dense'], 'first feed-forward layer only': ['intermediate.dense']}

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model-dir', required=True, help='a trained all-MiniLM-L6-v2 model directory, e.g. runs/minilm/model')
    a = p.parse_args()
    track_a = find_track_a()
    if track_a is None: sys.exit('track-a.csv not found (see README: getting the data)')
    df = read_track_a(track_a, drop_empty=False)
    exact = Predictor.load(a.model_dir, precision='fp32')
    texts, y = df['text'].tolist(), df[exact.labels].to_numpy()
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}\n")
    shapes = [(400, 384, 384), (400, 384, 1536), (400, 1536, 384)]
    best = max(gflops(*s) for s in shapes)
    for dtype in (torch.float32, torch.bfloat16):
        print(f"{str(dtype):>15} matmul GFLOP/s at MiniLM's shapes (400 tokens): " + ', '.join(f"{m}x{k}x{n} {gflops(m, k, n, dtype):.0f}" for m, k, n in shapes))
    tokens, per_token = sorted_batch_tokens(exact, texts), linear_flops_per_token(exact.model)
    base, speed = texts_per_s(exact, texts)
    pred = binarize(base, exact.thresholds)
    print(f"\n{len(texts)} texts, {tokens} tokens in sorted batches, {per_token / 1e6:.1f} MFLOP per token in the linear layers: "
          f"{len(texts) * best * 1e9 / (tokens * per_token):.0f} texts/s at {best:.0f} GFLOP/s; Predictor fp32 measures {speed:.0f} texts/s\n")
    print(f"| {'int8 dynamic quantization of':<32} | texts/s | vs fp32 | labels agreeing | macro-F1 |\n|{'-'*34}|---------|---------|-----------------|----------|")
    print(f"| {'nothing (fp32)':<32} | {speed:7.0f} |   1.00x |         100.00% | {macro_f1(y, pred):.4f} |")
    for name, parts in QUANTIZED.items():
        model = copy.deepcopy(exact.model)
        linears = {n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and any(s in n for s in parts)}
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # torch.ao.quantization's notice that it moves to torchao
            model = quantize_dynamic(model, linears, dtype=torch.qint8)
        quantized = Predictor(model, exact.tokenizer, exact.meta, precision='fp32')
        probs, s = texts_per_s(quantized, texts)
        q = binarize(probs, exact.thresholds)
        print(f"| {name:<32} | {s:7.0f} | {s / speed:6.2f}x | {(q == pred).mean():15.2%} | {macro_f1(y, q):.4f} |")

if __name__ == '__main__': main()
