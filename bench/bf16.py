"""What a training step costs under bfloat16 autocast against float32, on this CPU.

    python -m bench.bf16 [--threads 1] [--steps 3] [--batch 32]

One training step (forward, BCE loss, backward) of the MiniLM classifier on a batch of track-a.csv's texts, timed
after a warm-up step, in float32 and under bf16 autocast as `--precision bf16` trains. On a CPU with AMX or AVX-512
BF16 the hardware computes bf16; on an AVX2-only CPU oneDNN emulates it, and this shows what that costs: it decides
whether a bf16 study can run on such a machine.
"""
import argparse, platform, time
from datetime import date

import torch

from emotion_nb.core import cpu_kind
from emotion_nb import read_track_a
from emotion_nb.data import LABELS, find_track_a
from emotion_nb.encoder import build_classifier

def step_seconds(model, batch, labels, bf16:bool, steps:int) -> float:
    "Mean seconds of a training step over `steps`, after one untimed step."
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            logits = model(**batch)
        torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), labels).backward()
        model.zero_grad()
    step()
    start = time.perf_counter()
    for _ in range(steps): step()
    return (time.perf_counter() - start) / steps

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--batch', type=int, default=32)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    df = read_track_a(find_track_a()).head(a.batch)
    model, tok = build_classifier('minilm')
    batch = tok(df['text'].tolist(), padding=True, truncation=True, max_length=128, return_tensors='pt', return_token_type_ids=False)
    labels = torch.tensor(df[LABELS].to_numpy(), dtype=torch.float32)
    print(f"{date.today()}, {platform.processor() or platform.machine()} ({cpu_kind()}), torch {torch.__version__}, "
          f"{a.threads} thread(s), batch {a.batch} x {batch['input_ids'].shape[1]} tokens")
    fp32 = step_seconds(model, batch, labels, False, a.steps)
    bf16 = step_seconds(model, batch, labels, True, a.steps)
    print(f"| training step | fp32 {fp32:.3f} s | bf16 autocast {bf16:.3f} s | bf16 / fp32 {bf16 / fp32:.2f}x |")

if __name__ == '__main__': main()
