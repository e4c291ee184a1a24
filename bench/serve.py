"""The HTTP service under load: texts/s and latency at 1, 8 and 32 concurrent one-text clients, against the same model's offline rate.

    emotion-nb export runs/minilm/model runs/minilm-onnx
    python -m bench.serve runs/minilm-onnx [--seconds 30] [--clients 1 8 32] [--max-batch-size 32] [--batch-timeout 0.01]

It starts `emotion-nb serve MODEL` on a free port of 127.0.0.1 and, for each number of clients, runs that many clients,
each sending one text of track-a.csv per request, back to back, for `--seconds`. The clients are asyncio connections
in one thread, so that the load generator takes little of the CPU the server needs. The offline rate is `Predictor`'s
on the same texts in one process, in batches of 64, measured in the same run.
"""
import argparse, asyncio, json, platform, socket, statistics, subprocess, sys, time
from datetime import date
from urllib.parse import urlsplit
from urllib.request import urlopen

from emotion_nb.core import cpu_kind

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

async def _client(host:str, port:int, path:str, texts:list, first:int, step:int, end:float) -> list:
    "One client on its own keep-alive connection, posting one text at a time until `end`; its latencies."
    reader, writer = await asyncio.open_connection(host, port)
    latencies, i = [], first
    try:
        while time.perf_counter() < end:
            body = json.dumps({'texts': [texts[i % len(texts)]]}).encode()
            t = time.perf_counter()
            writer.write(f'POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n'.encode() + body)
            head = (await reader.readuntil(b'\r\n\r\n')).decode().lower()
            if not head.startswith('http/1.1 200'): raise RuntimeError(f"the server answered {head.splitlines()[0]}")
            await reader.readexactly(int(head.split('content-length:')[1].split()[0]))
            latencies.append(time.perf_counter() - t); i += step
    finally: writer.close()
    return latencies

def load(url:str, texts:list, clients:int, seconds:float) -> tuple:
    "`(texts per second, latencies)` of `clients` concurrent clients each posting one text at a time for `seconds`."
    u = urlsplit(url)
    async def run():
        end = time.perf_counter() + seconds
        return await asyncio.gather(*[_client(u.hostname, u.port, u.path, texts, k, clients, end) for k in range(clients)])
    start = time.perf_counter()
    latencies = [l for mine in asyncio.run(run()) for l in mine]
    return len(latencies) / (time.perf_counter() - start), latencies

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('model'); ap.add_argument('--seconds', type=float, default=30); ap.add_argument('--clients', type=int, nargs='+', default=[1, 8, 32])
    ap.add_argument('--max-batch-size', type=int, default=32); ap.add_argument('--batch-timeout', type=float, default=0.01)
    a = ap.parse_args()
    from emotion_nb import Predictor, read_track_a
    texts = read_track_a('semeval:eng', drop_empty=False).text.tolist()[:2000]
    p = Predictor.load(a.model)
    p.predict_proba(texts[:256])
    start = time.perf_counter(); p.predict_proba(texts); offline = len(texts) / (time.perf_counter() - start)
    del p
    port = free_port()
    server = subprocess.Popen([sys.executable, '-c', 'import sys; from emotion_nb.cli import main; sys.exit(main())', 'serve', a.model, '--port', str(port),
                               '--max-batch-size', str(a.max_batch_size), '--batch-timeout', str(a.batch_timeout)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f'http://127.0.0.1:{port}'
    try:
        for _ in range(240):
            try:
                if urlopen(url + '/health', timeout=1).read() == b'ok': break
            except OSError: time.sleep(0.5)
        load(url + '/predict', texts, 4, 2)  # warm-up
        print(f"{date.today()}, {platform.processor() or platform.machine()} ({cpu_kind()}), model {a.model}, max batch {a.max_batch_size}, "
              f"batch timeout {a.batch_timeout} s, {a.seconds:g} s per row; offline: {offline:.0f} texts/s\n")
        print('| clients | texts/s | of offline | p50 ms | p99 ms |\n|---|---|---|---|---|')
        for c in a.clients:
            rate, lat = load(url + '/predict', texts, c, a.seconds)
            lat = sorted(lat)
            print(f"| {c} | {rate:.0f} | {rate / offline:.0%} | {statistics.median(lat) * 1000:.0f} | {lat[int(0.99 * (len(lat) - 1))] * 1000:.0f} |", flush=True)
    finally:
        server.terminate(); server.wait(timeout=60)  # SIGTERM: the server stops its workers too

if __name__ == '__main__': main()
