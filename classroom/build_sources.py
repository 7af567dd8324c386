"""Build the instructor's source notebooks of the rnn_from_scratch assignment.

    python classroom/build_sources.py [04_lstm_step.ipynb ...]             # all when none named
    python tools/run_notebooks.py classroom/source/rnn_from_scratch/*.ipynb   # store outputs
    python tools/release_exercises.py                                        # student versions

The committed artefacts are the .ipynb files; this script is how they were
written (edit here, rebuild, re-run, re-release).  Cell metadata follows
nbgrader (schema 3): solution cells, autograded test cells with points, and
locked read-only cells, so ``nbgrader generate_assignment`` / ``autograde`` work.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
ASSIGNMENT = HERE / "source" / "rnn_from_scratch"


def meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
         "solution": solution, "task": False}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def md(text, grade_id):
    return new_markdown_cell(text.strip("\n"), metadata=meta(grade_id, locked=True))


def setup(code, grade_id="setup"):
    return new_code_cell(code.strip("\n"), metadata=meta(grade_id, locked=True))


def solution(name, code):
    return new_code_cell(code.strip("\n"), metadata=meta(name, solution=True))


def test(name, points):
    code = f"""
# Check your function (autograded, {points} points). Run this cell as often as you like.
result = check_{name}({name})
### BEGIN HIDDEN TESTS
assert result, str(result)
for seed in (1, 2):  # new random cases, so hard-coding the visible ones does not pass
    assert check_{name}({name}, seed=seed, show=False), f"{name} fails on new random cases (seed {{seed}})"
### END HIDDEN TESTS
"""
    return new_code_cell(code.strip("\n"), metadata=meta(f"test_{name}", grade=True, locked=True, points=points))


HOW = """
**How the exercises work.** Each exercise asks for one function. Write it in the cell with
`# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), run that cell, then run the
check cell below it. The checker calls your function on several random cases, compares it with
rnnlab's own implementation and with numerical gradients, and tells you *what* is wrong in a
sentence or two. A check never stops the notebook, so you can work through the exercises in any order.
"""


def notebook(cells):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


# ---------------------------------------------------------------------------
# 01: numerical gradient, one RNN step forward and backward
# ---------------------------------------------------------------------------

NB1 = [
    md("""
# Exercise 1: one RNN step, and the numerical gradient that checks it

**Learning goal.** Write the forward and backward pass of one step of a vanilla RNN, and the
numerical gradient you would use to test any backward pass. Afterwards you can explain where
every term of the step's gradient comes from.

Three exercises, about 45 minutes in all: the numerical gradient (15 min), the step forward
(10 min) and the step backward (20 min).
""" + HOW, "intro"),
    setup("""
import numpy as np

from rnnlab.classroom.checks import check_numerical_gradient, check_rnn_step_backward, check_rnn_step_forward
"""),
    md(r"""
## 1.1 The numerical gradient (about 15 minutes)

A backward pass is easy to get subtly wrong, so we test it against a gradient computed with
nothing but the forward pass. For one entry $x_i$ the **centred difference**

$$\frac{\partial L}{\partial x_i} \approx \frac{L(x + \varepsilon e_i) - L(x - \varepsilon e_i)}{2\varepsilon}$$

has an error of order $\varepsilon^2$ (a one-sided difference only $\varepsilon$). When `f(x)` is
an array instead of a scalar loss, we differentiate $L = \sum f(x) \odot df$ for a given upstream
gradient `df`: multiply the difference by `df` and sum.

Write `numerical_gradient(f, x, df=None, eps=1e-5)`:
- `f`: a function of an array shaped like `x`, returning a scalar or an array;
- `x`: a float array of any shape; it must be unchanged when your function returns;
- `df`: shaped like `f(x)`, or `None` when `f(x)` is a scalar (then use 1);
- returns `grad`, shaped like `x`.

Hint: `for i in np.ndindex(x.shape)` visits every index of an array of any shape.
""", "md_numerical_gradient"),
    solution("numerical_gradient", """
def numerical_gradient(f, x, df=None, eps=1e-5):
    \"\"\"Two-sided numerical gradient of sum(f(x) * df) with respect to x.  x: any shape -> grad: x.shape\"\"\"
    ### BEGIN SOLUTION
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x_plus = x.copy()  # perturb copies: the caller's x stays intact
        x_plus[i] += eps
        x_minus = x.copy()
        x_minus[i] -= eps
        diff = np.asarray(f(x_plus)) - np.asarray(f(x_minus))
        grad[i] = np.sum(diff * (1.0 if df is None else df)) / (2 * eps)
    return grad
    ### END SOLUTION
"""),
    test("numerical_gradient", 2),
    md(r"""
## 1.2 One step forward (about 10 minutes)

We use row vectors and a batch of $N$ sequences: $x_t$ is $(N, D)$, the hidden state $h$ is
$(N, H)$. One step computes

$$a_t = x_t W_x + h_{t-1} W_h + b, \qquad h_t = \tanh(a_t),$$

with $W_x$ of shape $(D, H)$, $W_h$ of shape $(H, H)$ and $b$ of shape $(H,)$ (broadcast over the
batch). The same $W_h$ is used at every step: that is what makes the network recurrent.

Write `rnn_step_forward(x, h_prev, Wx, Wh, b)` returning `(h_next, cache)`. The cache is whatever
your backward pass would need; the checker only looks at `h_next`. It tests each of the three
terms alone (the other inputs zeroed), so it can tell you which term is wrong.
""", "md_rnn_step_forward"),
    solution("rnn_step_forward", """
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    \"\"\"x: (N, D), h_prev: (N, H), Wx: (D, H), Wh: (H, H), b: (H,) -> h_next: (N, H), cache\"\"\"
    ### BEGIN SOLUTION
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    cache = (x, h_prev, Wx, Wh, h_next)
    return h_next, cache
    ### END SOLUTION
"""),
    test("rnn_step_forward", 1),
    md(r"""
## 1.3 One step backward (about 20 minutes)

Given `dh_next` $= \partial L / \partial h_t$, shape $(N, H)$, go back through the tanh first:
$\tanh'(a) = 1 - \tanh(a)^2 = 1 - h_t^2$, so

$$da = dh_{next} \odot (1 - h_t^2).$$

Then each term of $a_t = x_t W_x + h_{t-1} W_h + b$ passes $da$ on. For a product $a = u W$ the
gradients are $du = da\, W^\top$ and $dW = u^\top da$; the bias is added to every row, so its
gradient sums $da$ over the batch. Check every shape: `dWh` must be $(H, H)$ — and so is its
transpose, so only the values can tell them apart.

Write `rnn_step_backward(dh_next, cache)` returning `(dx, dh_prev, dWx, dWh, db)`. The `cache`
comes from **rnnlab's** forward step, so the check does not depend on your 1.2: it is the tuple
`(x, h_prev, Wx, Wh, h_next, activation)` (activation is `"tanh"` here).
""", "md_rnn_step_backward"),
    solution("rnn_step_backward", """
def rnn_step_backward(dh_next, cache):
    \"\"\"dh_next: (N, H) -> dx: (N, D), dh_prev: (N, H), dWx: (D, H), dWh: (H, H), db: (H,)\"\"\"
    x, h_prev, Wx, Wh, h_next, activation = cache
    ### BEGIN SOLUTION
    da = dh_next * (1 - h_next**2)  # through the tanh
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db
    ### END SOLUTION
"""),
    test("rnn_step_backward", 3),
    md("""
## Summary

- A centred difference checks any gradient using only the forward pass; it must leave its input
  unchanged and multiply by the upstream gradient when the function returns an array.
- One RNN step is an affine map of the input and of the previous state, then a tanh.
- Its backward pass goes through the tanh first ($1 - h^2$), then every product $uW$ gives
  $da\\,W^\\top$ and $u^\\top da$; the bias sums over the batch.

## Self-check questions

1. Why is the centred difference more accurate than $(f(x+\\varepsilon) - f(x))/\\varepsilon$, and why
   do we check gradients in float64?
2. `dWh` and `dWh.T` have the same shape. Which test would tell them apart?
3. Why can the backward pass use $1 - h_t^2$ without storing the pre-activation $a_t$?
""", "summary"),
]

# ---------------------------------------------------------------------------
# 02: backpropagation through time and the temporal softmax loss
# ---------------------------------------------------------------------------

NB2 = [
    md("""
# Exercise 2: backpropagation through time and the loss

**Learning goal.** Write the backward pass of a whole sequence (BPTT) and the softmax
cross-entropy loss over every time step. Afterwards you can explain why the gradient of an early
hidden state collects contributions from every later step, and why the loss is a mean.

Two exercises, about 55 minutes: BPTT (30 min) and the temporal softmax loss (25 min).
""" + HOW, "intro"),
    setup("""
import numpy as np

from rnnlab.classroom.checks import check_rnn_backward, check_temporal_softmax_loss
from rnnlab.layers import rnn_forward
"""),
    md(r"""
## 2.1 Backpropagation through time (about 30 minutes)

rnnlab's `rnn_forward(x, h0, Wx, Wh, b)` runs the step of Exercise 1 over a sequence
`x` of shape $(N, T, D)$ and returns every hidden state `h`, shape $(N, T, H)$, and a cache
`(x, h0, Wx, Wh, h, activation)`:
""", "md_rnn_backward_intro"),
    setup("""
rng = np.random.default_rng(0)
N, T, D, H = 2, 3, 4, 5
x = rng.standard_normal((N, T, D))
h0 = np.zeros((N, H))
Wx, Wh, b = rng.standard_normal((D, H)), rng.standard_normal((H, H)), np.zeros(H)
h, cache = rnn_forward(x, h0, Wx, Wh, b)
print("h:", h.shape, " cache:", [np.shape(c) for c in cache[:5]], cache[5])
""", "demo_rnn_forward"),
    md(r"""
The loss reaches $h_t$ in two ways: directly through the layer above (that is `dh[:, t]`, given
to you) and through $h_{t+1}$, which was computed from $h_t$. So, going **backwards** from
$t = T-1$ to $0$, carry a `dh_next` (zero at the start):

$$\text{total gradient on } h_t = dh_t + dh_{next}, \qquad
da_t = (dh_t + dh_{next}) \odot (1 - h_t^2), \qquad dh_{next} \leftarrow da_t W_h^\top .$$

$W_x$, $W_h$ and $b$ are shared by all steps, so their gradients are **sums** over the steps; `dx`
has one slice per step. After the loop, `dh_next` is the gradient for `h0`.

Write `rnn_backward(dh, cache)` returning `(dx, dh0, dWx, dWh, db)`. Do not change `dh` in place.
""", "md_rnn_backward"),
    solution("rnn_backward", """
def rnn_backward(dh, cache):
    \"\"\"dh: (N, T, H) -> dx: (N, T, D), dh0: (N, H), dWx: (D, H), dWh: (H, H), db: (H,)\"\"\"
    x, h0, Wx, Wh, h, activation = cache
    ### BEGIN SOLUTION
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0], dtype=x.dtype)
    dh_next = np.zeros_like(h0)  # nothing comes from after the last step
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db
    ### END SOLUTION
"""),
    test("rnn_backward", 4),
    md(r"""
## 2.2 The temporal softmax loss (about 25 minutes)

The output layer gives scores $s$ of shape $(N, T, V)$: at every step, one unnormalised
log-probability per symbol. With targets $y$ of shape $(N, T)$ the loss is the **mean**
cross-entropy over the counted positions,

$$L = -\frac{1}{|\text{positions}|} \sum_{n,t} \log \operatorname{softmax}(s_{n,t})_{y_{n,t}},
\qquad \frac{\partial L}{\partial s_{n,t}} = \frac{\operatorname{softmax}(s_{n,t}) - \text{onehot}(y_{n,t})}{|\text{positions}|}.$$

A mean (not a sum) keeps the loss on the same scale for any batch size and window length.
An optional boolean `mask` of shape $(N, T)$ excludes positions: they get zero gradient and do
not count in the mean. Subtract each row's maximum before `np.exp` — softmax does not change, and
`exp(1000)` no longer overflows.

Write `temporal_softmax_loss(scores, y, mask=None)` returning `(loss, dscores)`: `loss` a number,
`dscores` shaped like `scores` with its dtype.
""", "md_temporal_softmax_loss"),
    solution("temporal_softmax_loss", """
def temporal_softmax_loss(scores, y, mask=None):
    \"\"\"scores: (N, T, V), y: (N, T) ints, mask: (N, T) or None -> loss: float, dscores: (N, T, V)\"\"\"
    ### BEGIN SOLUTION
    N, T, V = scores.shape
    w = np.ones((N, T), dtype=scores.dtype) if mask is None else mask.astype(scores.dtype)
    shifted = scores - scores.max(axis=-1, keepdims=True)  # no overflow in exp
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    log_p_y = np.take_along_axis(log_probs, y[..., None], axis=-1)[..., 0]
    count = w.sum()
    loss = -float((w * log_p_y).sum() / count)
    dscores = np.exp(log_probs)
    dscores[np.arange(N)[:, None], np.arange(T)[None, :], y] -= 1
    dscores *= (w / count)[..., None]
    return loss, dscores
    ### END SOLUTION
"""),
    test("temporal_softmax_loss", 3),
    md("""
## Summary

- BPTT walks backwards in time; the gradient on $h_t$ is what the layer above sends plus what
  $h_{t+1}$ sends back through $W_h^\\top$.
- Shared weights get the sum of their per-step gradients; the gradient left after step 0 is `dh0`.
- The loss is a mean over the counted positions, computed from max-shifted scores; its gradient
  is probabilities minus targets, divided by the count.

## Self-check questions

1. If `dh` is zero everywhere except at the last step, which entries of `dx` are non-zero, and why?
2. What happens to the loss and to its gradient if you sum over positions instead of averaging,
   and the window length doubles?
3. Why does subtracting the row maximum not change the softmax?
""", "summary"),
]

# ---------------------------------------------------------------------------
# 03: clipping and sampling
# ---------------------------------------------------------------------------

NB3 = [
    md("""
# Exercise 3: gradient clipping and sampling with temperature

**Learning goal.** Write the two pieces that make a character model train stably and generate
text: clipping by the global gradient norm, and sampling the next symbol with a temperature.

Two exercises, about 25 minutes: clipping (10 min) and sampling (15 min).
""" + HOW, "intro"),
    setup("""
import numpy as np

from rnnlab.classroom.checks import check_clip_grad_norm, check_sample_with_temperature
from rnnlab.layers import softmax
"""),
    md(r"""
## 3.1 Clipping by the global norm (about 10 minutes)

Through a long sequence, gradients can explode: one huge step can undo all training. Clipping
rescales **all** gradients by one common factor when their global norm

$$\|g\| = \sqrt{\textstyle\sum_{\text{arrays}} \sum_{\text{entries}} g^2}$$

exceeds `max_norm`: $g \leftarrow g \cdot \text{max\_norm} / \|g\|$. One common factor keeps the
direction of the update and only shortens it; clipping each entry separately would change the
direction.

Write `clip_grad_norm(grads, max_norm)`: `grads` is a dict name -> array, changed **in place**
(leave it alone when the norm is at most `max_norm`); return the global norm *before* clipping
(it is worth plotting during training).
""", "md_clip_grad_norm"),
    solution("clip_grad_norm", """
def clip_grad_norm(grads, max_norm):
    \"\"\"grads: dict of arrays, scaled in place to global norm <= max_norm -> total_norm before clipping\"\"\"
    ### BEGIN SOLUTION
    total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    if total_norm > max_norm:
        scale = max_norm / total_norm
        for g in grads.values():
            g *= scale  # in place: the caller's arrays change
    return total_norm
    ### END SOLUTION
"""),
    test("clip_grad_norm", 2),
    md(r"""
## 3.2 Sampling with temperature (about 15 minutes)

To generate text, the model gives scores for the next symbol and we **draw** one. Dividing the
scores by a temperature $\tau$ before the softmax changes how adventurous the draw is: $\tau < 1$
sharpens the distribution (safer, more repetitive text), $\tau > 1$ flattens it (more varied,
more mistakes), and $\tau \to 0$ approaches always taking the most likely symbol (greedy). Here is
the effect on five scores (rnnlab's softmax):
""", "md_sample_intro"),
    setup("""
scores = np.array([2.0, 1.0, 0.5, 0.0, -1.0])
for tau in (0.5, 1.0, 2.0):
    print(f"temperature {tau}: " + "  ".join(f"{p:.3f}" for p in softmax(scores / tau)))
""", "demo_temperature"),
    md(r"""
Write `sample_with_temperature(scores, temperature, rng)`:
- `scores`: $(V,)$ unnormalised log-probabilities; do not change it;
- `temperature`: $\tau > 0$ draws an index from $\operatorname{softmax}(\text{scores}/\tau)$;
  $\tau = 0$ returns `argmax(scores)`;
- `rng`: a `numpy.random.Generator`; draw with it (e.g. `rng.choice(V, p=probs)`), never with
  `np.random`, so that the same seed gives the same text;
- returns one `int` in $[0, V)$.

The checker draws a few thousand samples and compares their frequencies with the right
distribution, so any correct way of sampling passes.
""", "md_sample_with_temperature"),
    solution("sample_with_temperature", """
def sample_with_temperature(scores, temperature, rng):
    \"\"\"scores: (V,), temperature >= 0, rng: numpy Generator -> int index in [0, V)\"\"\"
    ### BEGIN SOLUTION
    if temperature == 0:
        return int(np.argmax(scores))  # the limit tau -> 0: greedy
    z = scores / temperature
    p = np.exp(z - z.max())  # subtract the max: exp never overflows
    return int(rng.choice(len(scores), p=p / p.sum()))
    ### END SOLUTION
"""),
    test("sample_with_temperature", 2),
    md("""
## Summary

- Clipping by the global norm rescales every gradient by one factor, so the update keeps its
  direction; it returns the norm before clipping, a useful training diagnostic.
- Sampling divides the scores by the temperature before a max-shifted softmax and draws with the
  given generator, so results are reproducible; temperature 0 is greedy decoding.

## Self-check questions

1. Two gradients are (3, 4) and (0, 12) with `max_norm` 6.5: what are they after global-norm clipping,
   and after clipping each entry to [-6.5, 6.5]?
2. Why does dividing the *probabilities* by the temperature and renormalising have no effect?
3. What text would you expect from a character model at temperature 0.1, and at 3?
""", "summary"),
]

# ---------------------------------------------------------------------------
# 04: one LSTM step, forward and backward
# ---------------------------------------------------------------------------

NB4 = [
    md("""
# Exercise 4: one LSTM step, forward and backward

**Learning goal.** Write the forward and backward pass of one step of a long short-term memory
(LSTM) cell. Afterwards you can explain what each of its four gates does, which two paths bring a
gradient to the cell state, and why the cell state lets gradients survive many time steps.

Two exercises, about 55 minutes: the step forward (20 min) and the step backward (35 min).
""" + HOW, "intro"),
    setup("""
import numpy as np

from rnnlab import lstm
from rnnlab.classroom.checks import check_lstm_step_backward, check_lstm_step_forward
"""),
    md(r"""
## 4.1 One step forward (about 20 minutes)

The vanilla cell of Exercise 1 rewrites its whole state at every step. An LSTM keeps a second
state, the **cell state** $c$ of shape $(N, H)$, a memory that the step changes only through
*gates*. One affine map, as before but four times as wide, gives the pre-activations of the step:

$$a_t = x_t W_x + h_{t-1} W_h + b \quad (N, 4H), \qquad W_x: (D, 4H),\ W_h: (H, 4H),\ b: (4H,).$$

Its columns are four blocks of width $H$, **in the order $[i, f, g, o]$**:

$$i_t = \sigma(a_t[:, 0{:}H]), \quad f_t = \sigma(a_t[:, H{:}2H]), \quad
g_t = \tanh(a_t[:, 2H{:}3H]), \quad o_t = \sigma(a_t[:, 3H{:}4H]),$$

$$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t),$$

where $\sigma(z) = 1 / (1 + e^{-z})$ and $\odot$ is the elementwise product.

| block | name | activation | role |
|---|---|---|---|
| $i$ | input gate | sigmoid, in $(0, 1)$ | how much of the candidate to write |
| $f$ | forget gate | sigmoid, in $(0, 1)$ | how much of the old memory to keep |
| $g$ | candidate | tanh, in $(-1, 1)$ | what could be written (up or down) |
| $o$ | output gate | sigmoid, in $(0, 1)$ | how much of the memory to show in $h$ |

The gates are fractions, so they use the sigmoid; the candidate and the memory shown in $h$ use
tanh. The order $[i, f, g, o]$ is PyTorch's (`torch.nn.LSTM`), so rnnlab's weights map onto
torch's with a transpose.

Write `lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)` returning `(h_next, c_next, cache)`; the
checker looks at `h_next` and `c_next`. It first sets `c_prev` to zero (then $c_t = i_t \odot g_t$,
the write alone), then zeroes the candidate's block of the weights (then $g_t = 0$ and
$c_t = f_t \odot c_{t-1}$, the memory kept alone), so it can say which part is wrong.
""", "md_lstm_step_forward"),
    solution("lstm_step_forward", """
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    \"\"\"x: (N, D), h_prev, c_prev: (N, H), Wx: (D, 4H), Wh: (H, 4H), b: (4H,) -> h_next, c_next: (N, H), cache\"\"\"
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b  # (N, 4H), blocks [i, f, g, o]
    i = 1 / (1 + np.exp(-a[:, :H]))
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    g = np.tanh(a[:, 2 * H:3 * H])
    o = 1 / (1 + np.exp(-a[:, 3 * H:]))
    c_next = f * c_prev + i * g  # keep part of the old memory, write part of the candidate
    h_next = o * np.tanh(c_next)
    cache = (x, h_prev, c_prev, Wx, Wh, np.concatenate([i, f, g, o], axis=1), np.tanh(c_next))
    return h_next, c_next, cache
    ### END SOLUTION
"""),
    test("lstm_step_forward", 2),
    md(r"""
## 4.2 One step backward (about 35 minutes)

The backward exercise uses **rnnlab's** forward step, so it does not depend on your 4.1. Its
cache is the tuple `(x, h_prev, c_prev, Wx, Wh, gates, tanh_c)`: `gates`, shape $(N, 4H)$, holds
the values of $i, f, g, o$ *after* their activations, in the same block order, and `tanh_c` is
$\tanh(c_t)$:
""", "md_lstm_cache"),
    setup("""
rng = np.random.default_rng(0)
N, D, H = 2, 3, 4
x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
Wx, Wh, b = 0.5 * rng.standard_normal((D, 4 * H)), 0.5 * rng.standard_normal((H, 4 * H)), np.zeros(4 * H)
_, _, cache = lstm.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
for name, value in zip(["x", "h_prev", "c_prev", "Wx", "Wh", "gates", "tanh_c"], cache):
    print(f"{name:7s}{value.shape}")
for k, name in enumerate(["i", "f", "g", "o"]):
    block = cache[5][:, k * H:(k + 1) * H]
    print(f"gate {name}: values between {block.min():+.3f} and {block.max():+.3f}")
""", "demo_lstm_cache"),
    md(r"""
You are given `dh_next` $= \partial L / \partial h_t$ and `dc_next` $= \partial L / \partial c_t$,
both $(N, H)$: the cell state $c_t$ is also read by the next step, which sends its gradient back
as `dc_next` (zeros if nothing reads it). Go through the forward equations in reverse:

1. **Both paths into $c_t$.** $c_t$ reaches the loss through $h_t = o_t \odot \tanh(c_t)$ *and*
   through $c_{t+1}$; add the two:
   $$dc = dc_{next} + dh_{next} \odot o_t \odot (1 - \tanh^2(c_t)).$$
2. **The product rule on each line.** From $h_t = o_t \odot \tanh(c_t)$ you get the gradient on
   $o_t$; from $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ the gradients on $i_t$ (it is $dc \odot g_t$),
   $f_t$, $g_t$ and on the old memory $c_{t-1}$ — that last one is `dc_prev`.
3. **Through the activations**, written with the values in the cache: $\sigma' = \sigma(1 - \sigma)$
   for $i, f, o$ and $\tanh' = 1 - g^2$ for $g$. Put the four results side by side in the order
   $[i, f, g, o]$: that is $da$, shape $(N, 4H)$.
4. **Through the affine map**, exactly as in Exercise 1: $dx = da\,W_x^\top$,
   $dh_{prev} = da\,W_h^\top$, $dW_x = x^\top da$, $dW_h = h_{prev}^\top da$, and $db$ sums $da$
   over the batch. Here $W_h$ is $(H, 4H)$, so a missing transpose fails with a shape error.

Write `lstm_step_backward(dh_next, dc_next, cache)` returning
`(dx, dh_prev, dc_prev, dWx, dWh, db)`, and do not change `dh_next`, `dc_next` or the cache. The
checker sends a gradient through $c_t$ alone (`dh_next` zero), then through $h_t$ alone (`dc_next`
zero), then compares everything with numerical gradients.
""", "md_lstm_step_backward"),
    solution("lstm_step_backward", """
def lstm_step_backward(dh_next, dc_next, cache):
    \"\"\"dh_next, dc_next: (N, H) -> dx: (N, D), dh_prev, dc_prev: (N, H), dWx: (D, 4H), dWh: (H, 4H), db: (4H,)\"\"\"
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    ### BEGIN SOLUTION
    H = tanh_c.shape[1]
    i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    dc = dc_next + dh_next * o * (1 - tanh_c**2)  # both paths into c_next
    da = np.concatenate([
        dc * g * i * (1 - i),  # input gate
        dc * c_prev * f * (1 - f),  # forget gate
        dc * i * (1 - g**2),  # candidate
        dh_next * tanh_c * o * (1 - o),  # output gate
    ], axis=1)
    dc_prev = dc * f  # the additive path: no matrix, no tanh'
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dc_prev, dWx, dWh, db
    ### END SOLUTION
"""),
    test("lstm_step_backward", 4),
    md(r"""
## 4.3 What the cell state buys (nothing to write)

Step 3 has no matrix and no $\tanh'$ on the way from $c_t$ to $c_{t-1}$: `dc_prev` is $dc \odot f$.
Over many steps the gradient on an early memory is, roughly, a product of forget gates. Here
rnnlab's LSTM runs 30 steps, and a gradient is put on the last cell state only; the forget gate's
bias moves $f$ from mostly closed to mostly open:
""", "md_cell_state"),
    setup("""
rng = np.random.default_rng(1)
N, T, D, H = 4, 30, 3, 5
xs = rng.standard_normal((N, T, D))
Wx, Wh = 0.3 * rng.standard_normal((D, 4 * H)), 0.3 * rng.standard_normal((H, 4 * H))
dc_last = rng.standard_normal((N, H))
for bias_f in (-2.0, 0.0, 2.0, 5.0):
    b = np.zeros(4 * H)
    b[H:2 * H] = bias_f  # the forget gate's block
    h, cache = lstm.lstm_forward(xs, np.zeros((N, H)), Wx, Wh, b)
    dc0 = lstm.lstm_backward_state(np.zeros_like(h), cache, dc_last=dc_last)[2]
    mean_f = cache.gates[:, :, H:2 * H].mean()
    print(f"forget bias {bias_f:+.0f}: mean f = {mean_f:.3f}, |dc0| / |dc_last| after {T} steps = "
          f"{np.linalg.norm(dc0) / np.linalg.norm(dc_last):.2e}")
""", "demo_cell_state"),
    md("""
With $f$ near 1 the gradient arrives after 30 steps at full size (here even a little larger: the
path through $h_{t-1} W_h$ adds to it); with $f$ near 0.5 it roughly halves at every step, and
$0.5^{30} \\approx 10^{-9}$. The network learns when to keep and when to forget, instead of a
recurrent matrix deciding it by accident. This is why rnnlab (like most libraries) starts the
forget gate's bias at 1.

## Summary

- One affine map gives four blocks $[i, f, g, o]$: three sigmoid gates and a tanh candidate. The
  memory is updated by adding, $c_t = f \\odot c_{t-1} + i \\odot g$, and shown through
  $h_t = o \\odot \\tanh(c_t)$.
- In the backward pass $c_t$ gets gradient along two paths, from $h_t$ and from $c_{t+1}$; add
  them before going into the gates.
- `dc_prev` $= dc \\odot f$ has no matrix and no $\\tanh'$: with $f \\approx 1$ gradients survive
  many steps.

## Self-check questions

1. With `c_prev` zero, `c_next` is $i \\odot g$; with the candidate's block of the weights zero it is
   $f \\odot c_{t-1}$. Which mistake does each of these two probes expose?
2. With `dh_next` zero (a gradient on $c_t$ only), which block of `dWh` is exactly zero, and why?
3. Why do the gates use the sigmoid and the candidate tanh? What goes wrong if $g$ uses a sigmoid?
""", "summary"),
]



NOTEBOOKS = {"01_rnn_step.ipynb": NB1, "02_bptt_and_loss.ipynb": NB2,
             "03_clipping_and_sampling.ipynb": NB3, "04_lstm_step.ipynb": NB4}


def main(argv=()):
    """Write the named notebooks (all when none is named): rebuilding clears their stored outputs."""
    names = list(argv) or list(NOTEBOOKS)
    unknown = sorted(set(names) - set(NOTEBOOKS))
    if unknown:
        raise SystemExit(f"unknown notebook(s) {unknown}; choose from {list(NOTEBOOKS)}")
    ASSIGNMENT.mkdir(parents=True, exist_ok=True)
    for name in names:
        nbformat.write(notebook(NOTEBOOKS[name]), ASSIGNMENT / name)
        print("wrote", ASSIGNMENT / name)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
