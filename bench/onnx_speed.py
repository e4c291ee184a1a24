"""Prediction speed and memory: PyTorch (fp32, and bf16 autocast where the CPU has native bf16) against ONNX Runtime fp32 and int8, side by side.

    emotion-nb export runs/minilm/model runs/minilm-onnx
    emotion-nb export runs/minilm/model runs/minilm-int8 --int8
    python -m bench.onnx_speed runs/minilm/model runs/minilm-onnx runs/minilm-int8 [--texts 2000] [--threads 2]

Each path runs in its own process (so peak memory is its own): it loads the model, predicts the first `--texts` texts
of track-a.csv once to warm up, then times a second pass (the texts sorted by length, batches of 64). Every path's
probabilities on all of track-a.csv are compared with PyTorch fp32's: the largest difference and the share of label
decisions that agree.
"""
import argparse, json, platform, resource, subprocess, sys, time
from datetime import date
from pathlib import Path

from emotion_nb.core import CPU_KINDS, cpu_kind

def one_path(model:str, precision:str, texts:int, threads:int, out:str):
    "Run in a child process: time one path, save its probabilities on all texts, print texts/s and peak memory as JSON."
    import numpy as np
    if precision != 'onnx':
        import torch; torch.set_num_threads(threads)
    from emotion_nb import Predictor, read_track_a
    df = read_track_a('semeval:eng', drop_empty=False)
    p = Predictor.load(model, 'cpu', precision='fp32' if precision == 'onnx' else precision)
    if precision == 'onnx':
        import onnxruntime as ort
        opts = ort.SessionOptions(); opts.intra_op_num_threads = threads
        p.model.session = ort.InferenceSession(str(Path(model)/'model.onnx'), opts, providers=['CPUExecutionProvider'])
    sample = df.text.tolist()[:texts]
    p.predict_proba(sample)
    start = time.perf_counter(); p.predict_proba(sample); took = time.perf_counter() - start
    np.save(out, p.predict_proba(df.text.tolist()))
    print(json.dumps(dict(texts_per_s=len(sample) / took, peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                          precision=p.precision, thresholds=p.thresholds.tolist())))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('model'); ap.add_argument('onnx'); ap.add_argument('int8')
    ap.add_argument('--texts', type=int, default=2000); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--child', nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: return one_path(a.child[0], a.child[1], a.texts, a.threads, a.child[2])
    import numpy as np, tempfile
    paths = [('torch fp32', a.model, 'fp32')] + ([('torch bf16', a.model, 'bf16')] if cpu_kind() in CPU_KINDS[:2] else []) + \
            [('ONNX Runtime fp32', a.onnx, 'onnx'), ('ONNX Runtime int8', a.int8, 'onnx')]
    rows, tmp = [], Path(tempfile.mkdtemp())
    for name, model, precision in paths:
        out = tmp/f'{len(rows)}.npy'
        run = subprocess.run([sys.executable, __file__, a.model, a.onnx, a.int8, '--texts', str(a.texts), '--threads', str(a.threads),
                              '--child', model, precision, str(out)], capture_output=True, text=True, check=True)
        rows.append((name, json.loads(run.stdout.strip().splitlines()[-1]), np.load(out)))
    base, th = rows[0][2], np.array(rows[0][1]['thresholds'])
    print(f"{date.today()}, {platform.processor() or platform.machine()} ({cpu_kind()}), {a.threads} threads, {a.texts} texts of track-a.csv "
          f"(after one warm-up pass); agreement on all {len(base)} texts\n")
    print('| path | texts/s | vs torch fp32 | peak MiB | max prob diff | labels equal to torch fp32 |\n|---|---|---|---|---|---|')
    for name, r, probs in rows:
        print(f"| {name} | {r['texts_per_s']:.0f} | {r['texts_per_s'] / rows[0][1]['texts_per_s']:.2f}x | {r['peak_mib']:.0f} | "
              f"{np.abs(probs - base).max():.1e} | {((probs >= th) == (base >= th)).mean():.2%} |")

if __name__ == '__main__': main()
