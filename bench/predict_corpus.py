"""Prediction at corpus scale: `emotion-nb predict --input X.parquet --out Y.parquet` over Parquet files of texts from
`track-a.csv`, repeated, with an id, an author and a date beside each text. Every run is a fresh process (or, with
`--processes 2`, two under `accelerate launch`). Prints rows per second and peak memory, and their ratios.

    python -m bench.predict_corpus                                  # 20,000 and 1,000,000 rows, one process
    python -m bench.predict_corpus --rows 100000 --processes 1 2   # one process against two
    python -m bench.predict_corpus --model-dir runs/minilm/model    # a trained model

The default model is all-MiniLM-L6-v2 with an untrained head: it does exactly the work of a trained one. Peak memory
is the largest resident set of any one process of a run (with two processes, of either).
"""
import argparse, os, platform, subprocess, sys, tempfile, time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import torch

from emotion_nb.core import cpu_kind, default_device, native_bf16, resolve_precision
from emotion_nb.data import LABELS, find_track_a, read_track_a
from emotion_nb.persistence import save_model
from emotion_nb.encoder import build_classifier

PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")

def write_corpus(path:Path, n:int):
    "A Parquet file of `n` rows: `id`, `author`, `posted` and `text`, the texts of `track-a.csv` repeated."
    texts = read_track_a(find_track_a(), drop_empty=False)['text'].to_numpy()
    pd.DataFrame({'id': [f'r{i}' for i in range(n)], 'author': [f'user{i % 1000}' for i in range(n)],
                  'posted': pd.date_range('2025-01-01', periods=n, freq='s'), 'text': np.resize(texts, n)}).to_parquet(path)

def command(model, src, out, processes:int, work:Path) -> tuple:
    "The command line and environment of one run: `emotion-nb predict`, alone or under `accelerate launch`."
    script = work/'emotion_nb_cli.py'
    script.write_text('import sys\nfrom emotion_nb.cli import main\nsys.exit(main())\n')
    predict = [str(script), 'predict', str(model), '--input', str(src), '--out', str(out), '--quiet']
    if processes == 1: return [sys.executable, *predict], dict(os.environ)
    cpu = not torch.cuda.is_available()
    env = {**os.environ, **({'CUDA_VISIBLE_DEVICES': '', 'OMP_NUM_THREADS': str(max(1, os.cpu_count() // processes))} if cpu else {})}
    return [sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', str(processes), '--num_machines', '1',
            '--mixed_precision', 'no', '--dynamo_backend', 'no', *predict], env

def run(model, src, out, processes:int) -> tuple:
    "Seconds and peak resident MiB (of the largest process) of one run, checked to have written every row."
    cmd, env = command(model, src, out, processes, Path(out).parent)
    start = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', PEAK, *cmd], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if r.returncode: sys.exit(r.stderr[-3000:])
    assert pq.ParquetFile(out).metadata.num_rows == pq.ParquetFile(src).metadata.num_rows
    return seconds, int(r.stderr.strip().splitlines()[-1]) / 1024

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model-dir', type=Path, help='a saved model directory; default: all-MiniLM-L6-v2 with an untrained head')
    p.add_argument('--rows', type=int, nargs='+', default=[20_000, 1_000_000])
    p.add_argument('--processes', type=int, nargs='+', default=[1])
    a = p.parse_args()
    if find_track_a() is None: sys.exit('track-a.csv not found (see README: getting the data)')
    work, device = Path(tempfile.mkdtemp()), default_device()
    model = a.model_dir or save_model(work/'model', *build_classifier('minilm'), LABELS)
    cpu = platform.processor() or platform.machine()
    print(f"{date.today()}, {device} ({os.cpu_count()} cores, {cpu}, {cpu_kind()}), native bf16: {native_bf16(device)}, precision "
          f"{resolve_precision('auto', device)}, torch {torch.__version__}: python -m bench.predict_corpus "
          f"--rows {' '.join(map(str, a.rows))} --processes {' '.join(map(str, a.processes))}\n", flush=True)
    figures = []
    for n in a.rows:
        write_corpus(work/'in.parquet', n)
        for procs in a.processes:
            seconds, mib = run(model, work/'in.parquet', work/'out.parquet', procs)
            figures.append(dict(rows=n, processes=procs, seconds=seconds, rows_s=n / seconds, peak_mib=mib))
            print(f"  {n:>9,} rows, {procs} process{'es' if procs > 1 else ''}: {seconds:8.1f} s, {n / seconds:8.1f} rows/s, peak {mib:6.0f} MiB", flush=True)
    df = pd.DataFrame(figures)
    print(f"\n| {'rows':>9} | processes | {'seconds':>8} | {'rows/s':>8} | peak MiB |\n|{'-'*11}|-----------|{'-'*10}|{'-'*10}|----------|")
    for f in figures: print(f"| {f['rows']:>9,} | {f['processes']:>9} | {f['seconds']:8.1f} | {f['rows_s']:8.1f} | {f['peak_mib']:8.0f} |")
    print()
    for procs, g in df.groupby('processes'):
        if len(g) > 1: print(f"{procs} process(es): peak memory at {g['rows'].iloc[-1]:,} rows is {g['peak_mib'].iloc[-1] / g['peak_mib'].iloc[0]:.2f}x "
                             f"that at {g['rows'].iloc[0]:,} rows")
    for n, g in df.groupby('rows'):
        if len(g) > 1: print(f"{n:,} rows: {g['processes'].iloc[-1]} processes predict {g['rows_s'].iloc[-1] / g['rows_s'].iloc[0]:.2f}x "
                             f"the rows/s of {g['processes'].iloc[0]}")

if __name__ == '__main__': main()
