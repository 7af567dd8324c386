"""Benchmark: rnnlab's character model against PyTorch and a per-sample NumPy baseline.

    python benchmarks/run.py            # full run (about 20 minutes), prints a Markdown table
    python benchmarks/run.py --quick    # smoke run, under a minute
    python benchmarks/run.py --cells lstm   # only the LSTM rows (default: --cells rnn,lstm,gru)

On machines where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (they slow a
current NumPy), unset both for this command only:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py --output benchmarks/results.md

Every implementation trains a character-level language model on the default
offline corpus (rnnlab.load_corpus(), 90 % train / 10 % validation):

* rnnlab float32 / float64: SequenceModel.loss (forward + BPTT), clip_grad_norm, Adam.step
  (the model's default fast path, rnnlab.fast)
* torch: Embedding -> nn.RNN (tanh, batch_first) -> Linear, cross-entropy, clipping, Adam (CPU)
* rnnlab LSTM / GRU float32: the same SequenceModel with cell="lstm" / cell="gru"
* torch LSTM / GRU: the same as torch with nn.LSTM / nn.GRU (batch_first) in place of nn.RNN
* per-sample: benchmarks/percharnn.py, batch 1, hidden 100, 25-step windows, Adagrad

For each configuration (N, T, H) and thread count it reports training characters
per second (median of --repeats, the implementations interleaved within every
repeat so that a noisy machine slows them alike), the ratio to torch, the
validation loss in bits per character after --budget seconds of training, the
peak memory of training, and the fraction of the machine's limit: FLOPs per
character divided by the matrix-multiply throughput measured in the same run
at the same shapes (so 100 % would mean "nothing but matmuls at full speed").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import rnnlab  # noqa: E402
from percharnn import PerCharRNN  # noqa: E402
from rnnlab.optim import Adam, clip_grad_norm  # noqa: E402

LN2 = math.log(2)
EMBED_DIM = 32
LR = 3e-3
CLIP = 5.0
VAL_STREAMS = 16


# --------------------------------------------------------------------------
# Data: the same windows for every batched implementation
# --------------------------------------------------------------------------


class Data:
    def __init__(self):
        text = rnnlab.load_corpus()
        self.vocab = rnnlab.Vocab.from_text(text)
        ids = self.vocab.encode(text)
        self.train, self.val = rnnlab.train_val_split(ids, 0.1)
        self.V = len(self.vocab)
        # validation: VAL_STREAMS side-by-side streams read in one pass, state carried
        vb = rnnlab.SequenceBatcher(self.val, VAL_STREAMS, len(self.val))
        (self.val_x, self.val_y), = list(vb)
        self.n_chars = len(ids)

    def windows(self, N, T):
        """Full (N, T) training windows in order; a short last window is dropped."""
        return [(x, y) for x, y in rnnlab.SequenceBatcher(self.train, N, T) if x.shape[1] == T]


# gate blocks per cell: the input and recurrent products are G*H wide
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def batched_matmul_shapes(N, T, H, V, E, cell="rnn"):
    """(m, k, n) of every matrix product in one training step of the batched model.

    For a cell with G gate blocks (LSTM: 4) Wx is (E, G*H) and Wh (H, G*H);
    the output layer (H, V) does not change.
    """
    NT, GH = N * T, GATES[cell] * H
    fwd = [(NT, E, GH)] + [(N, H, GH)] * T + [(NT, H, V)]
    bwd = [(NT, V, H), (V, NT, H)] + [(N, GH, H)] * T + [(E, NT, GH), (H, NT, GH), (NT, GH, E)]
    return fwd + bwd


def flops(shapes):
    return sum(2 * m * k * n for m, k, n in shapes)


# --------------------------------------------------------------------------
# Implementations: each has step(), val_nats(), chars_per_step, matmul_shapes
# --------------------------------------------------------------------------


class RnnlabRun:
    def __init__(self, data, N, T, H, dtype, cell="rnn", seed=0):
        self.name = f"rnnlab {cell} {np.dtype(dtype).name}"
        self.lib, self.dtype = "numpy", np.dtype(dtype)
        self.data, self.windows = data, data.windows(N, T)
        self.model = rnnlab.SequenceModel(data.vocab, H, embed_dim=EMBED_DIM, cell=cell,
                                          rng=np.random.default_rng(seed), dtype=dtype)
        self.opt = Adam(lr=LR)
        self.i, self.state = 0, None
        self.chars_per_step = N * T
        self.matmul_shapes = batched_matmul_shapes(N, T, H, data.V, EMBED_DIM, cell)

    def step(self):
        if self.i == len(self.windows):
            self.i, self.state = 0, None  # new epoch: reset the carried state
        x, y = self.windows[self.i]
        self.i += 1
        loss, grads, self.state = self.model.loss(x, y, self.state)
        clip_grad_norm(grads, CLIP)
        self.opt.step(self.model.params, grads)
        return loss

    def val_nats(self):
        return self.model.eval_loss(self.data.val_x, self.data.val_y)[0]


class TorchRun:
    def __init__(self, data, N, T, H, cell="rnn", seed=0):
        import torch

        self.torch = torch
        self.name, self.lib, self.dtype = f"torch {cell} float32", "torch", np.dtype(np.float32)
        torch.manual_seed(seed)
        V = data.V

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = torch.nn.Embedding(V, EMBED_DIM)
                if cell == "lstm":
                    self.rnn = torch.nn.LSTM(EMBED_DIM, H, batch_first=True)
                    with torch.no_grad():  # forget-gate bias 1 in total, as rnnlab's LSTM starts
                        self.rnn.bias_ih_l0[H:2 * H] = 1.0
                        self.rnn.bias_hh_l0[H:2 * H] = 0.0
                elif cell == "gru":
                    self.rnn = torch.nn.GRU(EMBED_DIM, H, batch_first=True)
                else:
                    self.rnn = torch.nn.RNN(EMBED_DIM, H, nonlinearity="tanh", batch_first=True)
                self.out = torch.nn.Linear(H, V)

            def forward(self, x, h0=None):
                h, h_last = self.rnn(self.embed(x), h0)
                return self.out(h), h_last

        self.V, self.net = V, Net()
        self.opt = torch.optim.Adam(self.net.parameters(), lr=LR)
        self.windows = [(torch.from_numpy(x.copy()), torch.from_numpy(y.copy())) for x, y in data.windows(N, T)]
        self.val_x = torch.from_numpy(data.val_x.copy())
        self.val_y = torch.from_numpy(data.val_y.copy())
        self.i, self.state = 0, None
        self.chars_per_step = N * T
        self.matmul_shapes = batched_matmul_shapes(N, T, H, V, EMBED_DIM, cell)

    def step(self):
        F = self.torch.nn.functional
        if self.i == len(self.windows):
            self.i, self.state = 0, None
        x, y = self.windows[self.i]
        self.i += 1
        scores, h_last = self.net(x, self.state)
        # carried state: h (RNN) or the pair (h, c) (LSTM), cut from the graph
        self.state = tuple(s.detach() for s in h_last) if isinstance(h_last, tuple) else h_last.detach()
        loss = F.cross_entropy(scores.reshape(-1, self.V), y.reshape(-1))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.torch.nn.utils.clip_grad_norm_(self.net.parameters(), CLIP)
        self.opt.step()
        return float(loss.detach())

    def val_nats(self):
        with self.torch.no_grad():
            scores, _ = self.net(self.val_x)
            return float(self.torch.nn.functional.cross_entropy(scores.reshape(-1, self.V), self.val_y.reshape(-1)))


class PerCharRun:
    def __init__(self, data, seed=0):
        self.name, self.lib, self.dtype = "per-sample ref", "numpy", np.dtype(np.float64)
        self.data = data
        self.model = PerCharRNN(data.V, hidden_size=100, seq_len=25, lr=0.1, seed=seed)
        self.chars_per_step = 25
        self.matmul_shapes = self.model.matmul_shapes()

    def step(self):
        return self.model.step(self.data.train)

    def val_nats(self):
        return self.model.eval_loss(self.data.val_x, self.data.val_y)


# implementation -> (cell, library, dtype); the PyTorch implementation of the same
# cell is the one its "vs PyTorch" ratio is taken against
KINDS = {
    "rnnlab32": ("rnn", "numpy", np.float32),
    "rnnlab64": ("rnn", "numpy", np.float64),
    "torch": ("rnn", "torch", np.float32),
    "percharnn": ("rnn", "percharnn", np.float64),
    "lstm32": ("lstm", "numpy", np.float32),
    "torch_lstm": ("lstm", "torch", np.float32),
    "gru32": ("gru", "numpy", np.float32),
    "torch_gru": ("gru", "torch", np.float32),
}
TORCH_OF_CELL = {KINDS[k][0]: k for k in KINDS if KINDS[k][1] == "torch"}


def kinds_for(cells, torch_ok):
    """Implementations to run, in KINDS order: those of the chosen cells, torch only when available."""
    return [k for k, (cell, lib, _) in KINDS.items() if cell in cells and (torch_ok or lib != "torch")]


def make_run(kind, data, N, T, H):
    if kind not in KINDS:
        raise ValueError(f"unknown implementation {kind!r}")
    cell, lib, dtype = KINDS[kind]
    if lib == "percharnn":
        return PerCharRun(data)
    if lib == "torch":
        return TorchRun(data, N, T, H, cell)
    return RnnlabRun(data, N, T, H, dtype, cell)


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------


def set_threads(threads, torch_too):
    if torch_too:
        import torch

        torch.set_num_threads(threads)
    return threadpool_limits(limits=threads, user_api="blas")


def chars_per_second(runs, order, min_time, chunk=0.1):
    """Train every run for at least min_time seconds; return {name: characters per second}.

    The runs take turns in slices of about ``chunk`` seconds, so that a busy
    spell of a shared machine falls on all of them alike, not on whichever
    happened to be running then.
    """
    steps = {k: 0 for k in order}
    spent = {k: 0.0 for k in order}
    while min(spent.values()) < min_time:
        for k in order:
            if spent[k] >= min_time:
                continue
            start = time.perf_counter()
            while True:
                runs[k].step()
                steps[k] += 1
                elapsed = time.perf_counter() - start
                if elapsed >= chunk:
                    break
            spent[k] += elapsed
    return {k: steps[k] * runs[k].chars_per_step / spent[k] for k in order}


def val_bpc_after(run, budget):
    """Train for ``budget`` seconds of wall time, then the validation loss in bits per char."""
    start = time.perf_counter()
    steps = 0
    while time.perf_counter() - start < budget:
        run.step()
        steps += 1
    nats = run.val_nats()
    return nats / LN2, nats, steps


def matmul_seconds(shapes, dtype, lib, min_time=0.1):
    """Seconds that the matrix products ``shapes`` take at this thread count, each timed alone."""
    total = 0.0
    rng = np.random.default_rng(0)
    for (m, k, n), count in _count(shapes).items():
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        if lib == "torch":
            import torch

            a, b = torch.from_numpy(a), torch.from_numpy(b)
            out = torch.empty((m, n), dtype=a.dtype)
            mm = lambda: torch.mm(a, b, out=out)  # noqa: E731
        else:
            out = np.empty((m, n), dtype=dtype)
            mm = lambda: np.matmul(a, b, out=out)  # noqa: E731
        mm()
        best = math.inf
        for _ in range(3):  # best of 3: the machine's limit, not its noise
            reps, start = 0, time.perf_counter()
            while True:
                mm()
                reps += 1
                el = time.perf_counter() - start
                if el >= min_time / 3:
                    break
            best = min(best, el / reps)
        total += best * count
    return total


def _count(shapes):
    out = {}
    for s in shapes:
        out[s] = out.get(s, 0) + 1
    return out


def _read_status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB -> MiB
    return float("nan")


def memory_child(kind, N, T, H, threads):
    """Run in a fresh process: how far 3 training steps raise the peak RSS above the RSS after setup.

    The first step is included: later steps mostly reuse memory the allocator
    kept from it, so without it the figure would miss the working set.
    """
    data = Data()
    with set_threads(threads, KINDS[kind][1] == "torch"):
        run = make_run(kind, data, N, T, H)
        rss0 = _read_status("VmRSS")  # after imports, data and model; before any training step
        try:  # reset the high-water mark to the current RSS (Linux >= 4.0)
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            pass
        for _ in range(3):
            run.step()
        peak = _read_status("VmHWM")
    print(json.dumps({"delta_mib": peak - rss0, "peak_mib": peak}))


def measure_memory(kind, N, T, H, threads):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_memory", kind,
           "--_config", f"{N},{T},{H}", "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def environment(torch_ok):
    lines = [f"- machine: {platform.machine()}, {os.cpu_count()} cores, {_cpu_name()}",
             f"- Python {platform.python_version()}, NumPy {np.__version__}, rnnlab {rnnlab.__version__}"]
    if torch_ok:
        import torch

        lines.append(f"- PyTorch {torch.__version__} (CPU)")
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            lines.append(f"- NumPy BLAS: {info.get('internal_api')} {info.get('version')}, "
                         f"kernel {info.get('architecture')}, {info.get('threading_layer')} threads")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        lines.append(f"- {var}={os.environ.get(var, '(unset)')}")
    try:
        load = os.getloadavg()
        lines.append(f"- load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    except OSError:
        pass
    return "\n".join(lines)


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: (32, 64, 128) at 1 thread unless --configs/--threads say otherwise, --budget 4 --min-time 0.3 --repeats 3, no memory subprocesses")
    p.add_argument("--budget", type=float, default=60.0, help="seconds of training before the validation loss")
    p.add_argument("--repeats", type=int, default=5, help="throughput repeats (the median is reported)")
    p.add_argument("--min-time", type=float, default=1.5, help="seconds of training per throughput repeat")
    p.add_argument("--configs", help="N,T,H triples separated by ';' (default 32,64,128;64,100,256)")
    p.add_argument("--threads", help="thread counts, e.g. 1,2 (default 1,2)")
    p.add_argument("--cells", default="rnn,lstm,gru",
                   help="recurrent cells to benchmark, comma-separated from rnn,lstm,gru (default all three)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even when it is installed")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--output", help="also write the Markdown report to this file")
    p.add_argument("--_memory", help=argparse.SUPPRESS)
    p.add_argument("--_config", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.budget, args.min_time, args.repeats, args.no_memory = 4.0, 0.3, 3, True
        args.configs, args.threads = args.configs or "32,64,128", args.threads or "1"
    args.configs = args.configs or "32,64,128;64,100,256"
    args.threads = args.threads or "1,2"
    args.configs = [tuple(int(v) for v in c.split(",")) for c in args.configs.split(";") if c.strip()]
    args.threads = [int(t) for t in args.threads.split(",")]
    args.cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    bad = [c for c in args.cells if c not in GATES]
    if bad or not args.cells:
        p.error(f"--cells must be a comma-separated subset of {','.join(GATES)}, got {','.join(args.cells) or '(empty)'}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args._memory:
        N, T, H = (int(v) for v in args._config.split(","))
        memory_child(args._memory, N, T, H, args.threads[0])
        return
    torch_ok = torch_available() and not args.no_torch
    t_start = time.perf_counter()
    data = Data()
    env = environment(torch_ok)
    print(env, flush=True)
    kinds = kinds_for(args.cells, torch_ok)
    rows = []
    ref_bpc = {}  # the per-sample reference does not depend on (N, T, H): its loss run is done once per thread count
    for N, T, H in args.configs:
        for threads in args.threads:
            print(f"\n== N={N} T={T} H={H}, {threads} thread(s)", flush=True)
            with set_threads(threads, torch_ok):
                runs = {k: make_run(k, data, N, T, H) for k in kinds}
                for run in runs.values():  # warm-up: first-step allocations
                    run.step()
                    run.step()
                speeds = {k: [] for k in kinds}
                mm_secs = {k: math.inf for k in kinds}
                for r in range(args.repeats):
                    order = kinds if r % 2 == 0 else kinds[::-1]  # no implementation always runs first
                    for k, cps in chars_per_second(runs, order, args.min_time).items():
                        speeds[k].append(cps)
                    for k in order:
                        # the matmul limit is measured in every repeat too and the best kept,
                        # so a busy moment of the machine does not make the limit look low
                        mm_secs[k] = min(mm_secs[k], matmul_seconds(runs[k].matmul_shapes, runs[k].dtype,
                                                                    runs[k].lib, min_time=min(0.1, args.min_time / 3)))
                    print(f"  repeat {r + 1}: " + ", ".join(f"{k} {speeds[k][-1]:,.0f}" for k in kinds), flush=True)
                limit = {k: run.chars_per_step / mm_secs[k] for k, run in runs.items()}
                del runs
                bpc = {}
                for k in kinds:
                    if k == "percharnn" and threads in ref_bpc:
                        bpc[k] = ref_bpc[threads]
                        continue
                    run = make_run(k, data, N, T, H)
                    bpc[k] = val_bpc_after(run, args.budget)
                    print(f"  {k}: {bpc[k][0]:.3f} bits/char after {args.budget:g} s ({bpc[k][2]} steps)", flush=True)
                    if k == "percharnn":
                        ref_bpc[threads] = bpc[k]
            mem = {}
            if not args.no_memory:
                for k in kinds:
                    mem[k] = measure_memory(k, N, T, H, threads)
            for k in kinds:
                cps = statistics.median(speeds[k])
                shapes = make_shapes(k, N, T, H, data.V)
                torch_k = TORCH_OF_CELL[KINDS[k][0]]
                rows.append({
                    "config": (N, T, H), "threads": threads, "impl": k, "cell": KINDS[k][0], "chars_per_s": cps,
                    "repeats": speeds[k],
                    # ratios: the median of the per-repeat ratios; within a repeat the two ran
                    # back to back, so a slow spell of the shared machine mostly cancels out
                    "vs_torch": paired_ratio(speeds[k], speeds[torch_k]) if torch_k in speeds else None,
                    "vs_ref": paired_ratio(speeds[k], speeds["percharnn"]) if "percharnn" in speeds else None,
                    "bpc": bpc[k][0], "val_nats": bpc[k][1], "steps_in_budget": bpc[k][2],
                    "mem": mem.get(k), "flops_per_char": flops(shapes) / (N * T if k != "percharnn" else 25),
                    "limit_chars_per_s": limit[k], "frac_limit": cps / limit[k],
                })
    report = render(rows, env, args, time.perf_counter() - t_start, torch_ok)
    print("\n" + report)
    if args.output:
        Path(args.output).write_text(report + "\n")
        Path(args.output).with_suffix(".json").write_text(json.dumps(rows, indent=1, default=str) + "\n")


def paired_ratio(a, b):
    return statistics.median(x / y for x, y in zip(a, b))


def make_shapes(kind, N, T, H, V):
    if kind == "percharnn":
        return PerCharRNN(V, 100, 25).matmul_shapes()
    return batched_matmul_shapes(N, T, H, V, EMBED_DIM, KINDS[kind][0])


NAMES = {"rnnlab32": "rnnlab float32", "rnnlab64": "rnnlab float64", "torch": "PyTorch float32",
         "percharnn": "per-sample ref (H=100, T=25, N=1)",
         "lstm32": "rnnlab LSTM float32", "torch_lstm": "PyTorch nn.LSTM float32",
         "gru32": "rnnlab GRU float32", "torch_gru": "PyTorch nn.GRU float32"}


def render(rows, env, args, seconds, torch_ok):
    head = ("| config (N, T, H) | threads | implementation | chars/s (median) | vs PyTorch, same cell (paired) | vs per-sample (paired) "
            f"| val bits/char after {args.budget:g} s | peak memory (MiB, training) | FLOPs/char | % of matmul limit |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        mem = "-" if r["mem"] is None else f"{r['mem']['delta_mib']:.1f}"
        vs_t = "-" if r["vs_torch"] is None else f"{r['vs_torch']:.2f}x"
        vs_r = "-" if r["vs_ref"] is None else f"{r['vs_ref']:.1f}x"
        lines.append(
            f"| {r['config']} | {r['threads']} | {NAMES[r['impl']]} | {r['chars_per_s']:,.0f} | {vs_t} "
            f"| {vs_r} | {r['bpc']:.3f} | {mem} | {r['flops_per_char'] / 1e3:,.0f}k "
            f"| {100 * r['frac_limit']:.0f} % |"
        )
    cmd = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    return (f"Command: `{cmd.strip()}` ({seconds / 60:.1f} min; budget {args.budget:g} s, "
            f"{args.repeats} repeats of >= {args.min_time:g} s, torch {'on' if torch_ok else 'absent'})\n\n"
            + env + "\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
