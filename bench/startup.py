"""Start-up benchmark: how long a user waits before a command does anything, each measured alone, in fresh processes.

    python -m bench.startup                          # import, --help, data, and the front door's heavy path
    python -m bench.startup --model runs/minilm/model # also `emotion-nb predict MODEL --text ...`, the whole command
    python -m bench.startup --model runs/minilm/model --onnx runs/minilm-onnx   # and from an ONNX directory, without torch
    python -m bench.startup --runs 5 --json out.json

Each command runs `--runs` times one after another (the first run warms the disk cache and is not counted); the
table shows the median and the range of wall-clock seconds, and `python -X importtime`'s own figure for
`import emotion_nb` (microseconds spent importing, without the interpreter's start).
"""
import argparse, json, platform, re, statistics, subprocess, sys, time
from datetime import date
from pathlib import Path

from emotion_nb.core import cpu_kind  # reads /proc/cpuinfo; imports nothing heavy

def wall(cmd:list, runs:int) -> list:
    "Seconds each of `runs` runs of `cmd` took, after one run that is not counted; empty if `cmd` fails (an older version lacks it)."
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        if subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode: return []
        if i: times.append(time.perf_counter() - start)
    return times

def import_time(module:str) -> float:
    "Seconds `python -X importtime` attributes to importing `module`, itself and everything it imports."
    err = subprocess.run([sys.executable, '-X', 'importtime', '-c', f'import {module}'], capture_output=True, text=True, check=True).stderr
    line = next(l for l in reversed(err.splitlines()) if re.search(rf'\|\s*{re.escape(module)}$', l))
    return int(line.split('|')[1]) / 1e6

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--runs', type=int, default=3)
    p.add_argument('--model', help='a model directory: also time `emotion-nb predict MODEL --text ...`')
    p.add_argument('--onnx', help='an ONNX directory (emotion-nb export): also time `emotion-nb predict ONNX_DIR --text ...`')
    p.add_argument('--json', type=Path, help='also write the figures here')
    a = p.parse_args()
    cli = [sys.executable, '-c', 'import sys; from emotion_nb.cli import main; sys.exit(main())']
    commands = {
        'python -c "import emotion_nb"': [sys.executable, '-c', 'import emotion_nb'],
        'emotion-nb --help': [*cli, '--help'],
        'emotion-nb train --help': [*cli, 'train', '--help'],
        'emotion-nb data': [*cli, 'data'],
        'python -c "from emotion_nb import Predictor"': [sys.executable, '-c', 'from emotion_nb import Predictor'],
    }
    if a.model: commands['emotion-nb predict MODEL --text ...'] = [*cli, 'predict', a.model, '--text', 'I was terrified when the lights went out', '--quiet']
    if a.onnx: commands['emotion-nb predict ONNX_DIR --text ...'] = [*cli, 'predict', a.onnx, '--text', 'I was terrified when the lights went out', '--quiet']
    rows = {name: wall(cmd, a.runs) for name, cmd in commands.items()}
    imp = import_time('emotion_nb')
    print(f"{date.today()}, {platform.processor() or platform.machine()} ({cpu_kind()}), Python {platform.python_version()}, "
          f"{a.runs} runs each after one warm-up; import emotion_nb by -X importtime: {imp:.3f} s\n")
    print(f"| {'command':<46} | median s | range s      |\n|{'-'*48}|----------|--------------|")
    for name, t in rows.items(): print(f"| {name:<46} | {statistics.median(t):8.2f} | {min(t):.2f} to {max(t):.2f} |" if t else f"| {name:<46} |        - | failed       |")
    if a.json: a.json.write_text(json.dumps(dict(cpu=cpu_kind(), import_time=imp, wall=rows), indent=2))

if __name__ == '__main__': main()
