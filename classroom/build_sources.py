"""Build the instructor's source notebooks of the rnn_from_scratch assignment.

    python classroom/build_sources.py
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
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
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

from rnnlab.checks import check_numerical_gradient, check_rnn_step_backward, check_rnn_step_forward
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

from rnnlab.checks import check_rnn_backward, check_temporal_softmax_loss
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

from rnnlab.checks import check_clip_grad_norm, check_sample_with_temperature
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


def main():
    ASSIGNMENT.mkdir(parents=True, exist_ok=True)
    for name, cells in [("01_rnn_step.ipynb", NB1), ("02_bptt_and_loss.ipynb", NB2),
                        ("03_clipping_and_sampling.ipynb", NB3)]:
        nbformat.write(notebook(cells), ASSIGNMENT / name)
        print("wrote", ASSIGNMENT / name)


if __name__ == "__main__":
    main()
