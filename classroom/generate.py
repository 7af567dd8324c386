"""Generate the instructor's source notebooks of the rnn_from_scratch assignment.

    python classroom/generate.py            # write classroom/source/rnn_from_scratch/*.ipynb (keeps outputs
                                            # of cells whose source did not change)
    python classroom/generate.py --check    # exit 1 if a committed source notebook differs
    python tools/run_notebooks.py classroom/source/rnn_from_scratch/*.ipynb   # store outputs
    python tools/release_exercises.py                                        # student versions

Where things come from (one source of truth each):
- the solution of every exercise: the function of that name in classroom/solutions/<module>.py
  (imported, linted and tested like the package), copied here verbatim;
- the exercises, their notebook, points and minutes: rnnlab/classroom/registry.py
  (``{min:<name>}`` and ``{total:<notebook>}`` in the prose below are filled from it);
- the prose and demo cells: this file.

Cell metadata follows nbgrader (schema 3): solution cells, autograded test cells with points,
and locked read-only cells, so ``nbgrader generate_assignment`` / ``autograde`` work.  The
hidden test of each check cell only calls rnnlab.classroom.hidden, whose seeds are not in any
notebook.
"""

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # this checkout's rnnlab, also when run as a script

from rnnlab.classroom import registry  # noqa: E402

ASSIGNMENT = HERE / "source" / registry.ASSIGNMENT
SOLUTIONS = HERE / "solutions"


def meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
         "solution": solution, "task": False}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def _times(text):
    """Fill {min:<exercise>} and {total:<notebook>} from the registry."""
    text = re.sub(r"\{min:(\w+)\}", lambda m: str(registry.BY_NAME[m.group(1)].minutes), text)
    return re.sub(r"\{total:(\w+)\}", lambda m: str(registry.minutes(m.group(1))), text)


def md(text, grade_id):
    return new_markdown_cell(_times(text.strip("\n")), metadata=meta(grade_id, locked=True))


def setup(code, grade_id="setup"):
    return new_code_cell(code.strip("\n"), metadata=meta(grade_id, locked=True))


def solution_source(name):
    """The source of the function ``name`` in classroom/solutions/<its checker module>.py."""
    path = SOLUTIONS / f"{registry.BY_NAME[name].module}.py"
    text = path.read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            lines = text.split("\n")
            end = node.end_lineno  # the AST ends at the last statement: take the comments after it
            while end < len(lines) and lines[end].startswith("    #"):
                end += 1
            return "\n".join(lines[node.lineno - 1:end])
    raise LookupError(f"{path} defines no function {name}")


def solution(name):
    return new_code_cell(solution_source(name), metadata=meta(name, solution=True))


def test(name):
    """The locked, autograded check cell; its hidden part grades on seeds kept out of the notebook."""
    points = registry.BY_NAME[name].points
    code = f"""
# Check your function (autograded, {points} points). Run this cell as often as you like.
result = check_{name}({name})
### BEGIN HIDDEN TESTS
from rnnlab.classroom.hidden import grade
grade("{name}", {name})
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

Three exercises, about {total:01_rnn_step} minutes in all: the numerical gradient ({min:numerical_gradient} min), the step
forward ({min:rnn_step_forward} min) and the step backward ({min:rnn_step_backward} min).
""" + HOW, "intro"),
    setup("""
import numpy as np

from rnnlab.classroom import check_numerical_gradient, check_rnn_step_backward, check_rnn_step_forward
"""),
    md(r"""
## 1.1 The numerical gradient (about {min:numerical_gradient} minutes)

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
    solution("numerical_gradient"),
    test("numerical_gradient"),
    md(r"""
## 1.2 One step forward (about {min:rnn_step_forward} minutes)

We use row vectors and a batch of $N$ sequences: $x_t$ is $(N, D)$, the hidden state $h$ is
$(N, H)$. One step computes

$$a_t = x_t W_x + h_{t-1} W_h + b, \qquad h_t = \tanh(a_t),$$

with $W_x$ of shape $(D, H)$, $W_h$ of shape $(H, H)$ and $b$ of shape $(H,)$ (broadcast over the
batch). The same $W_h$ is used at every step: that is what makes the network recurrent.

Write `rnn_step_forward(x, h_prev, Wx, Wh, b)` returning `(h_next, cache)`. The cache is whatever
your backward pass would need; the checker only looks at `h_next`. It tests each of the three
terms alone (the other inputs zeroed), so it can tell you which term is wrong.
""", "md_rnn_step_forward"),
    solution("rnn_step_forward"),
    test("rnn_step_forward"),
    md(r"""
## 1.3 One step backward (about {min:rnn_step_backward} minutes)

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
    solution("rnn_step_backward"),
    test("rnn_step_backward"),
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

Two exercises, about {total:02_bptt_and_loss} minutes: BPTT ({min:rnn_backward} min) and the temporal softmax loss
({min:temporal_softmax_loss} min).
""" + HOW, "intro"),
    setup("""
import numpy as np

from rnnlab.classroom import check_rnn_backward, check_temporal_softmax_loss
from rnnlab.layers import rnn_forward
"""),
    md(r"""
## 2.1 Backpropagation through time (about {min:rnn_backward} minutes)

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
    solution("rnn_backward"),
    test("rnn_backward"),
    md(r"""
## 2.2 The temporal softmax loss (about {min:temporal_softmax_loss} minutes)

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
    solution("temporal_softmax_loss"),
    test("temporal_softmax_loss"),
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

Two exercises, about {total:03_clipping_and_sampling} minutes: clipping ({min:clip_grad_norm} min) and sampling
({min:sample_with_temperature} min).
""" + HOW, "intro"),
    setup("""
import numpy as np

from rnnlab.classroom import check_clip_grad_norm, check_sample_with_temperature
from rnnlab.layers import softmax
"""),
    md(r"""
## 3.1 Clipping by the global norm (about {min:clip_grad_norm} minutes)

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
    solution("clip_grad_norm"),
    test("clip_grad_norm"),
    md(r"""
## 3.2 Sampling with temperature (about {min:sample_with_temperature} minutes)

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
    solution("sample_with_temperature"),
    test("sample_with_temperature"),
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

Two exercises, about {total:04_lstm_step} minutes: the step forward ({min:lstm_step_forward} min) and the step
backward ({min:lstm_step_backward} min).
""" + HOW, "intro"),
    setup("""
import numpy as np

from rnnlab import lstm
from rnnlab.classroom import check_lstm_step_backward, check_lstm_step_forward
"""),
    md(r"""
## 4.1 One step forward (about {min:lstm_step_forward} minutes)

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
    solution("lstm_step_forward"),
    test("lstm_step_forward"),
    md(r"""
## 4.2 One step backward (about {min:lstm_step_backward} minutes)

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
    solution("lstm_step_backward"),
    test("lstm_step_backward"),
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



# ---------------------------------------------------------------------------
# 05: one GRU step, forward and backward
# ---------------------------------------------------------------------------

NB5 = [
    md("""
# Exercise 5: one GRU step, forward and backward

**Learning goal.** Write the forward and backward pass of one step of a gated recurrent unit
(GRU), the LSTM's smaller cousin: two gates and no separate cell state. Afterwards you can explain
how the update gate mixes the old state with a candidate, and why a gradient can pass back through
the step without any matrix.

Two exercises, about {total:05_gru_step} minutes: the step forward ({min:gru_step_forward} min) and the step
backward ({min:gru_step_backward} min).
""" + HOW, "intro"),
    setup("""
import numpy as np

from rnnlab import gru
from rnnlab.classroom import check_gru_step_backward, check_gru_step_forward
"""),
    md(r"""
## 5.1 One step forward (about {min:gru_step_forward} minutes)

As for the LSTM, one weight matrix holds all the blocks side by side, here three of width $H$ in
the order **$[r, z, n]$** (PyTorch's): $W_x$ is $(D, 3H)$, $W_h$ is $(H, 3H)$, $b$ is $(3H,)$, and
the candidate has a second bias $b_{hn}$ of shape $(H,)$. Write $u_{[k]}$ for block $k$ of a
$(N, 3H)$ array $u$:

$$r_t = \sigma\big((x_t W_x + b + h_{t-1} W_h)_{[r]}\big), \qquad
z_t = \sigma\big((x_t W_x + b + h_{t-1} W_h)_{[z]}\big),$$

$$n_t = \tanh\big((x_t W_x + b)_{[n]} + r_t \odot ((h_{t-1} W_h)_{[n]} + b_{hn})\big), \qquad
h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}.$$

The **reset gate** $r$ decides how much of the old state the candidate may look at: it multiplies
the whole recurrent term of the candidate, $b_{hn}$ included (that is why $b_{hn}$ cannot be folded
into $b$). The **update gate** $z$ mixes: near 1 it keeps the old state, near 0 it takes the
candidate. (Some texts write the mix the other way round, $z \odot n + (1 - z) \odot h_{t-1}$; this
course follows PyTorch.)

Write `gru_step_forward(x, h_prev, Wx, Wh, b, b_hn)` returning `(h_next, cache)`; the checker looks
at `h_next`. It first sets `h_prev` to zero (then $h_t = (1 - z_t) \odot n_t$, the candidate path
alone), then compares random cases.
""", "md_gru_step_forward"),
    solution("gru_step_forward"),
    test("gru_step_forward"),
    md(r"""
## 5.2 One step backward (about {min:gru_step_backward} minutes)

The backward exercise uses **rnnlab's** forward step. Its cache is
`(x, h_prev, Wx, Wh, gates, hn)`: `gates`, shape $(N, 3H)$, holds the values of $r, z, n$ after
their activations, and `hn` $= (h_{t-1} W_h)_{[n]} + b_{hn}$, the term the reset gate scaled.
Given `dh_next` $= \partial L / \partial h_t$:

1. **The mix.** $h_t = (1 - z) \odot n + z \odot h_{t-1}$ gives the gradient on $n$, on $z$ (it is
   $dh_{next} \odot (h_{t-1} - n)$) and a **direct** part of `dh_prev`, $dh_{next} \odot z$.
2. **Through the activations:** $1 - n^2$ for the candidate, $\sigma(1 - \sigma)$ for $r$ and $z$.
   The candidate's pre-activation sends $dn_{pre} \odot hn$ to $r$.
3. **Two gradients on the pre-activations.** On $x_t W_x + b$ the blocks are
   $[dr_{pre}, dz_{pre}, dn_{pre}]$; on $h_{t-1} W_h$ the $n$ block is scaled by $r$:
   $[dr_{pre}, dz_{pre}, dn_{pre} \odot r]$. Then, as in Exercise 1, $dx$, $dW_x$, $db$ come from the
   first, $dW_h$ and the matrix part of `dh_prev` from the second, and $db_{hn}$ sums its $n$ block.

Write `gru_step_backward(dh_next, cache)` returning `(dx, dh_prev, dWx, dWh, db, db_hn)`, without
changing `dh_next` or the cache.
""", "md_gru_step_backward"),
    solution("gru_step_backward"),
    test("gru_step_backward"),
    md(r"""
## 5.3 The path without a matrix (nothing to write)

The direct part $dh_{next} \odot z$ of `dh_prev` is the GRU's version of the LSTM's `dc * f`: with
$z$ near 1 the gradient passes back unchanged. Here rnnlab's GRU runs 30 steps with a gradient on
the last state only, while the update gate's bias moves $z$ from mostly closed to mostly open:
""", "md_gru_path"),
    setup("""
rng = np.random.default_rng(1)
N, T, D, H = 4, 30, 3, 5
xs = rng.standard_normal((N, T, D))
Wx, Wh = 0.3 * rng.standard_normal((D, 3 * H)), 0.3 * rng.standard_normal((H, 3 * H))
for bias_z in (-2.0, 0.0, 2.0, 5.0):
    b = np.zeros(3 * H)
    b[H:2 * H] = bias_z  # the update gate's block
    h, cache = gru.gru_forward(xs, np.zeros((N, H)), Wx, Wh, b, np.zeros(H))
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    dx = gru.gru_backward(dh, cache)[0]
    mean_z = cache.gates[:, :, H:2 * H].mean()
    print(f"update bias {bias_z:+.0f}: mean z = {mean_z:.3f}, |dx at t=0| / |dx at t=T-1| = "
          f"{np.linalg.norm(dx[:, 0]) / np.linalg.norm(dx[:, -1]):.2e}")
""", "demo_gru_path"),
    md("""
The ratio says how much of the gradient given at the last step still reaches the first input.
With $z$ near 1 the state is carried almost unchanged and so is the gradient; with $z$ small the
state is rewritten at every step and the gradient fades like a vanilla RNN's.

## Summary

- A GRU step: two sigmoid gates $r, z$ and a tanh candidate $n$ in blocks $[r, z, n]$; the reset
  gate scales the candidate's whole recurrent term, $b_{hn}$ included; the update gate mixes,
  $h_t = (1 - z) \\odot n + z \\odot h_{t-1}$.
- Backward: the mix sends $dh \\odot (h_{t-1} - n)$ to $z$ and $dh \\odot z$ straight to $h_{t-1}$;
  the $n$ block of the recurrent gradient is scaled by $r$.

## Self-check questions

1. With `h_prev` zero, what is `h_next`, and which gate no longer matters?
2. Which term of `dh_prev` has no matrix in it, and when is it large?
3. Why does $b_{hn}$ get its own gradient instead of being part of `db`?
""", "summary"),
]


NOTEBOOKS = {"01_rnn_step.ipynb": NB1, "02_bptt_and_loss.ipynb": NB2,
             "03_clipping_and_sampling.ipynb": NB3, "04_lstm_step.ipynb": NB4, "05_gru_step.ipynb": NB5}


def _cell_key(cell):
    return cell.cell_type, cell.source, cell.metadata.get("nbgrader")


def generated(name):
    """The notebook ``name`` as generated (no outputs)."""
    return notebook(NOTEBOOKS[name])


def write(name, folder=ASSIGNMENT):
    """Write one source notebook; cells whose source did not change keep their stored outputs."""
    nb = generated(name)
    path = folder / name
    if path.exists():
        old = nbformat.read(path, as_version=4)
        if [_cell_key(c) for c in old.cells] == [_cell_key(c) for c in nb.cells]:
            return path, False  # unchanged: keep the stored outputs
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path, True


def stale(folder=ASSIGNMENT):
    """Names of committed source notebooks whose cells differ from what this script generates."""
    out = []
    for name in NOTEBOOKS:
        path = folder / name
        if not path.exists():
            out.append(name)
            continue
        old = nbformat.read(path, as_version=4)
        if [_cell_key(c) for c in old.cells] != [_cell_key(c) for c in generated(name).cells]:
            out.append(name)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to write (default: all)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a source notebook is out of date")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        if bad:
            print("out of date (run python classroom/generate.py, then tools/run_notebooks.py on them): "
                  + ", ".join(bad))
            return 1
        print("source notebooks are up to date")
        return 0
    names = args.names or list(NOTEBOOKS)
    unknown = sorted(set(names) - set(NOTEBOOKS))
    if unknown:
        raise SystemExit(f"unknown notebook(s) {unknown}; choose from {list(NOTEBOOKS)}")
    for name in names:
        path, changed = write(name)
        print(("wrote " if changed else "unchanged ") + str(path.relative_to(ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
