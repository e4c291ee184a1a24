"""Why ONNX int8 is not 2x torch fp32 on this CPU: where the time goes, and what each layer costs in accuracy.

    python -m bench.int8 runs/minilm/model [--texts 1000] [--threads 2]

It exports the model as `emotion-nb export` does (the plain graph, ONNX Runtime's fusions for fp32, dynamic per-channel
int8 of the plain graph), then:

1. times fp32 (fused), fp32 (plain) and int8 on the first `--texts` texts of track-a.csv, after a warm-up pass;
2. profiles each (a separate pass, since profiling slows it) and splits the time into the linear layers (MatMul, Gemm
   and their int8 forms, with the dynamic quantization of their inputs), everything else in the graph, and
   tokenizing. The last line bounds int8's gain: the speed-up if the linear layers cost nothing at all;
3. quantizes one encoder layer at a time (its attention and feed-forward linear layers), and all layers but one,
   and scores each on the run's validation split: label decisions equal to fp32's, and macro-F1.
"""
import argparse, collections, json, logging, platform, tempfile, time
from datetime import date
from pathlib import Path

import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic

from emotion_nb.core import cpu_kind
from emotion_nb import Predictor, read_track_a
from emotion_nb.export import _export_graph, export_onnx
from emotion_nb.split import run_split

LINEAR = {'MatMul', 'Gemm', 'FusedMatMul', 'MatMulInteger', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'DynamicQuantizeLinear'}

def session(path, threads:int, profile:str|None=None):
    opts = ort.SessionOptions(); opts.intra_op_num_threads = threads
    if profile: opts.enable_profiling, opts.profile_file_prefix = True, profile
    return ort.InferenceSession(str(path), opts, providers=['CPUExecutionProvider'])

def texts_per_s(p, texts) -> float:
    p.predict_proba(texts)
    start = time.perf_counter(); p.predict_proba(texts)
    return len(texts) / (time.perf_counter() - start)

def time_split(p, path, texts, threads:int, tmp:Path) -> dict:
    "Milliseconds per text in the linear layers, the rest of the graph, and tokenizing, from ONNX Runtime's profile of one pass."
    p.model.session = session(path, threads, str(tmp/'profile'))
    p.predict_proba(texts)
    ops = collections.Counter()
    for e in json.loads(Path(p.model.session.end_profiling()).read_text()):
        if e.get('cat') == 'Node' and e['name'].endswith('_kernel_time'): ops['linear' if e['args']['op_name'] in LINEAR else 'other'] += e['dur']
    start = time.perf_counter(); p.model.tokenizer.encode_batch(texts); tok = time.perf_counter() - start
    return dict(linear=ops['linear'] / 1e3 / len(texts), other=ops['other'] / 1e3 / len(texts), tokenize=tok * 1e3 / len(texts))

def layer_nodes(plain:Path) -> dict:
    "The MatMul nodes with a weight (an initializer) of each encoder layer, by layer number."
    import onnx
    g = onnx.load(str(plain)).graph
    weights, nodes = {i.name for i in g.initializer}, collections.defaultdict(list)
    for n in g.node:
        if n.op_type == 'MatMul' and any(i in weights for i in n.input) and '/layer.' in n.name:
            nodes[int(n.name.split('/layer.')[1].split('/')[0])].append(n.name)
    return dict(sorted(nodes.items()))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('model'); ap.add_argument('--texts', type=int, default=1000); ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    export_onnx(a.model, tmp/'fp32')
    p, ref = Predictor.load(tmp/'fp32'), Predictor.load(a.model, 'cpu', precision='fp32')
    _export_graph(ref.model, tmp/'plain.onnx', ref.tokenizer.pad_token_id)
    logging.disable(logging.WARNING)
    def int8(path, nodes=None):
        quantize_dynamic(str(tmp/'plain.onnx'), str(path), per_channel=True, weight_type=QuantType.QInt8, nodes_to_quantize=nodes)
        return path
    graphs = {'ONNX fp32 (fused)': tmp/'fp32'/'model.onnx', 'ONNX fp32 (plain)': tmp/'plain.onnx', 'ONNX int8 (plain)': int8(tmp/'int8.onnx')}
    texts = read_track_a('semeval:eng', drop_empty=False).text.tolist()[:a.texts]
    rows = {}
    for name, path in graphs.items():
        p.model.session = session(path, a.threads)
        rows[name] = dict(rate=texts_per_s(p, texts)) | time_split(p, path, texts, a.threads, tmp)
    import torch; torch.set_num_threads(a.threads)
    torch_rate = texts_per_s(ref, texts)
    print(f"{date.today()}, {platform.processor() or platform.machine()} ({cpu_kind()}), {a.threads} threads, {len(texts)} texts of track-a.csv "
          f"after a warm-up pass; torch fp32 in the same run: {torch_rate:.0f} texts/s\n")
    print('| graph | texts/s | vs torch fp32 | linear layers, ms/text | rest of the graph | tokenizing | if linear layers were free |\n|---|---|---|---|---|---|---|')
    for name, r in rows.items():
        total = r['linear'] + r['other'] + r['tokenize']
        print(f"| {name} | {r['rate']:.0f} | {r['rate'] / torch_rate:.2f}x | {r['linear']:.2f} | {r['other']:.2f} | {r['tokenize']:.2f} | "
              f"{total / (r['other'] + r['tokenize']) * r['rate'] / torch_rate:.2f}x |")
    f32, i8 = rows['ONNX fp32 (plain)'], rows['ONNX int8 (plain)']
    print(f"\nint8 makes the linear layers {f32['linear'] / i8['linear']:.2f}x faster; the rest of the graph takes {i8['other']:.2f} ms/text either way.\n")
    df = run_split(a.model)
    base = ref.evaluate(df, probabilities=True)
    print(f"Per layer, on the run's validation split ({len(df)} texts; fp32 macro-F1 {base[0]['macro_f1']:.4f}):\n")
    print('| int8 layers | labels equal to fp32 | macro-F1 | change |\n|---|---|---|---|')
    nodes = layer_nodes(tmp/'plain.onnx')
    variants = {f'layer {k} only': ns for k, ns in nodes.items()} | {f'all but layer {k}': [n for j, o in nodes.items() if j != k for n in o] for k in nodes}
    for name, ns in variants.items():
        p.model.session = session(int8(tmp/'variant.onnx', ns), a.threads)
        m, probs = p.evaluate(df, probabilities=True)
        same = ((probs >= p.thresholds) == (base[1] >= ref.thresholds)).mean()
        print(f"| {name} | {same:.2%} | {m['macro_f1']:.4f} | {m['macro_f1'] - base[0]['macro_f1']:+.4f} |")

if __name__ == '__main__': main()
