"""Peak memory of `emotion-nb predict --csv` on files of 20,000 and 500,000 rows, each in a fresh process; with `--whole`,
also of reading and predicting the whole file at once (version 0.1.0's way). Prints a table of the figures.

    python bench/predict_memory.py                 # a tiny random encoder: the data path is what is measured
    python bench/predict_memory.py --whole --rows 20000 100000
    python bench/predict_memory.py --model-dir runs/minilm/model
"""
import argparse, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd

CHUNKED = "from emotion_nb.cli import main; main(['predict', MODEL, '--csv', SRC, '--out', OUT, '--quiet'])"
WHOLE = ("import pandas as pd; from emotion_nb.inference import Predictor; df = pd.read_csv(SRC, dtype=str, keep_default_na=False); "
         "out = Predictor.load(MODEL).predict(df['text'].tolist()); out.insert(0, 'id', df['id'].to_numpy()); out.to_csv(OUT, index=False)")
PEAK = "; import resource, sys; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"

def write_texts(path:Path, n:int, seed:int=0):
    "A CSV of `n` synthetic texts of 5 to 40 words, with ids."
    rng = np.random.default_rng(seed)
    from emotion_nb.model import TINY_TEXTS
    words = np.array(sorted({w for t in TINY_TEXTS for w in t.lower().replace(',', ' ').split()}))  # all in the tiny encoder's vocabulary
    lengths = rng.integers(5, 41, n)
    texts = [' '.join(rng.choice(words, k)) for k in lengths]
    pd.DataFrame({'id': [f'r{i}' for i in range(n)], 'text': texts}).to_csv(path, index=False)

def peak_mib(code:str, model, src, out) -> tuple:
    "Peak resident memory (MiB) and wall seconds of `code` run in a fresh Python process."
    script = f"MODEL, SRC, OUT = {str(model)!r}, {str(src)!r}, {str(out)!r}; " + code + PEAK
    start = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True)
    if r.returncode: sys.exit(r.stderr[-2000:])
    return int(r.stderr.strip().splitlines()[-1]) / 1024, time.perf_counter() - start

def tiny_model(d:Path) -> Path:
    from emotion_nb.data import LABELS
    from emotion_nb.inference import save_model
    from emotion_nb.model import build_classifier, save_tiny_encoder
    model, tok = build_classifier(str(save_tiny_encoder(d/'tiny')))
    return save_model(d/'model', model, tok, LABELS)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model-dir', type=Path, help='a saved model directory; default: a tiny random encoder')
    p.add_argument('--rows', type=int, nargs='+', default=[20_000, 500_000])
    p.add_argument('--whole', action='store_true', help="also measure predicting the whole file at once")
    a = p.parse_args()
    d = Path(tempfile.mkdtemp())
    model = a.model_dir or tiny_model(d)
    rows = []
    for n in a.rows:
        write_texts(d/f'{n}.csv', n)
        chunked, t_chunked = peak_mib(CHUNKED, model, d/f'{n}.csv', d/'out.csv')
        assert len(pd.read_csv(d/'out.csv')) == n
        rows.append({'rows': f'{n:,}', 'chunked peak MiB': chunked, 'chunked rows/s': n / t_chunked})
        if a.whole:
            whole, t_whole = peak_mib(WHOLE, model, d/f'{n}.csv', d/'out.csv')
            rows[-1] |= {'whole-file peak MiB': whole, 'whole-file rows/s': n / t_whole}
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows).set_index('rows')
    print(df.round(0).astype(int).to_string())
    big, small = df.iloc[-1], df.iloc[0]
    ratios = [f"{how} {big[f'{how} peak MiB'] / small[f'{how} peak MiB']:.2f}x" for how in ('chunked', 'whole-file') if f'{how} peak MiB' in df]
    print(f"\npeak memory, {df.index[-1]} rows against {df.index[0]}: {', '.join(ratios)}")

if __name__ == '__main__': main()
