"""The training loop: forward, backward, clip, step, repeat; with a carried state,
a progress bar, callbacks, a loss history, and a clear stop when training diverges."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .cells import state_batch_size
from .optim import Adam, clip_grad_norm, global_norm
from .validation import check_int, check_real


class TrainingDiverged(FloatingPointError):
    """Raised when the loss runs away (NaN, infinite, or far above where it started); ``.history`` holds the run so far."""

    def __init__(self, message, history):
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """What happened during training, one entry per step (plus validation checkpoints)."""

    losses: list = field(default_factory=list)  # training loss per step (nats)
    grad_norms: list = field(default_factory=list)  # global gradient norm per step, before clipping
    val_steps: list = field(default_factory=list)
    val_losses: list = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False

    @property
    def steps(self):
        return len(self.losses)

    def smoothed(self, window=20):
        """Running mean of the training loss over ``window`` steps: (steps,) array."""
        window = check_int("History.smoothed", "window", window, minimum=1)
        x = np.asarray(self.losses, dtype=float)
        if len(x) == 0:
            return x
        c = np.cumsum(np.insert(x, 0, 0.0))
        w = np.minimum(np.arange(1, len(x) + 1), window)
        return (c[1:] - c[np.arange(1, len(x) + 1) - w]) / w


@dataclass
class StepInfo:
    """Passed to every callback after each step."""

    step: int  # 1-based count of optimiser steps taken
    epoch: int
    loss: float
    grad_norm: float
    history: History
    model: object


def _as_epoch_iterable(batches):
    # A batcher (re-iterable) gives a fresh pass per epoch; a list works the same way.
    if iter(batches) is batches:
        raise TypeError(
            "train: batches must be re-iterable (a list or a SequenceBatcher), not a one-shot "
            "iterator/generator, so that every epoch sees the data again"
        )
    return batches


def _pair(where, item):
    """One batch as (x, y); anything else is named instead of failing to unpack."""
    if not (isinstance(item, (tuple, list)) and len(item) == 2):
        what = f"{type(item).__name__}" + (f" of length {len(item)}" if isinstance(item, (tuple, list)) else "")
        raise TypeError(f"{where}: every batch must be a pair (x, y), got {what}")
    return item


def _check_train_args(model, optimizer, epochs, max_steps, clip_norm, callbacks, val_fn, val_every,
                      time_limit, diverge_factor):
    """Every argument of train, checked before the first forward pass."""
    where = "train"
    if not (isinstance(getattr(model, "params", None), dict) and callable(getattr(model, "loss", None))):
        raise TypeError(f"{where}: model must have a params dict and a loss(x, y, state0) method "
                        f"(a SequenceModel or SequenceRegressor), got {type(model).__name__}")
    if isinstance(optimizer, type):
        raise TypeError(f"{where}: optimizer must be an optimiser object, got the class {optimizer.__name__}; "
                        f"create one, e.g. {optimizer.__name__}(lr=1e-2)")
    if optimizer is not None and not callable(getattr(optimizer, "step", None)):
        hint = (f"; build one with make_optimizer({optimizer!r}, lr) or e.g. Adam(lr=1e-2)"
                if isinstance(optimizer, str) else "")
        raise TypeError(f"{where}: optimizer must be an optimiser object with a step(params, grads) method "
                        f"(SGD, Momentum, Adagrad, Adam), got {type(optimizer).__name__} {optimizer!r}{hint}")
    check_int(where, "epochs", epochs, minimum=1)
    check_int(where, "max_steps", max_steps, minimum=0, allow_none=True)
    if clip_norm is not None:
        try:
            check_real(where, "clip_norm", clip_norm, low=0)
        except ValueError as e:
            raise ValueError(f"{e} (use clip_norm=None for no clipping)") from None
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"{where}: every callback must be a function cb(info), got {type(cb).__name__} {cb!r}")
    if val_fn is not None and not callable(val_fn):
        raise TypeError(f"{where}: val_fn must be a function val_fn(model) -> float, got {type(val_fn).__name__}")
    check_int(where, "val_every", val_every, minimum=1, allow_none=True)
    check_real(where, "time_limit", time_limit, low=0, allow_none=True)
    check_real(where, "diverge_factor", diverge_factor, low=1, allow_none=True)


def train(model, batches, optimizer=None, *, epochs=1, max_steps=None, clip_norm=5.0,
          carry_state=True, callbacks=(), val_fn=None, val_every=None, progress=True,
          time_limit=None, desc="training", diverge_factor=10.0):
    """Train ``model`` on ``batches`` and return a History.

    Args:
        model: a SequenceModel or SequenceRegressor with any cell ("rnn", "lstm", "gru");
            anything with params and loss(x, y, state0) -> (loss, grads, state_last)
        batches: re-iterable of (x, y) pairs, e.g. a SequenceBatcher or a list [(x, y)]
        optimizer: an rnnlab optimiser (default Adam(lr=1e-2))
        epochs: passes over ``batches``
        max_steps: stop after this many steps in total (None: no limit)
        clip_norm: clip the global gradient norm to this value (None: no clipping)
        carry_state: start each window from the previous window's last state
            (truncated BPTT; h for "rnn" and "gru", the pair (h, c) for "lstm");
            the state is reset at the start of every epoch
        callbacks: functions ``cb(info: StepInfo)``; one that returns True stops training
        val_fn: function ``val_fn(model) -> float`` evaluated every ``val_every`` steps and at the end
        progress: show a tqdm progress bar
        time_limit: stop after this many seconds (None: no limit)
        diverge_factor: stop when the loss exceeds diverge_factor times its reference,
            the larger of the first step's loss and ln V (the loss of guessing uniformly
            among V symbols; 1 for a model without a vocabulary).  None: only stop on nan/inf.

    Raises:
        TrainingDiverged: the loss or gradient norm became nan/inf, or the loss grew past
            diverge_factor x its reference; the message names the step and what to change.
            The update computed from that step is never applied.
    """
    if callable(callbacks):
        callbacks = (callbacks,)
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"train: callbacks must be a function or a list of functions, got {type(callbacks).__name__}")
    _check_train_args(model, optimizer, epochs, max_steps, clip_norm, callbacks, val_fn, val_every,
                      time_limit, diverge_factor)
    _as_epoch_iterable(batches)
    if optimizer is None:
        optimizer = Adam(lr=1e-2)
    V = getattr(model, "vocab_size", None)
    floor = math.log(V) if isinstance(V, int) and V > 1 else 1.0
    limit = None  # set from the first step's loss
    history = History()
    per_epoch = len(batches) if hasattr(batches, "__len__") else None
    total = None
    if per_epoch is not None:
        total = per_epoch * epochs if max_steps is None else min(max_steps, per_epoch * epochs)
    elif max_steps is not None:
        total = max_steps
    bar = tqdm(total=total, desc=desc, disable=not progress, leave=True)
    start = time.perf_counter()
    step = 0
    try:
        for epoch in range(epochs):
            state = None
            for item in batches:
                x, y = _pair("train", item)
                if max_steps is not None and step >= max_steps:
                    break
                if not carry_state or (state is not None and state_batch_size(state) != len(x)):
                    state = None
                loss, grads, state = model.loss(x, y, state)
                norm = global_norm(grads)
                if limit is None and diverge_factor is not None and math.isfinite(loss):
                    reference = max(loss, floor)
                    limit = diverge_factor * reference
                problem = None
                if not (math.isfinite(loss) and math.isfinite(norm)):
                    bad = "loss" if not math.isfinite(loss) else "gradient norm"
                    problem = f"the {bad} is {loss if bad == 'loss' else norm}"
                elif limit is not None and loss > limit:
                    problem = (f"the loss is {loss:.4g}, more than {diverge_factor:g} x its reference "
                               f"{reference:.4g} (the larger of the first loss and "
                               f"{'ln V' if floor != 1.0 else '1'}), so it is running away")
                if problem:
                    lr = getattr(optimizer, "lr", "?")
                    raise TrainingDiverged(
                        f"Training diverged at step {step + 1} (epoch {epoch + 1}): {problem}. "
                        f"The parameters were not updated with it. Try a lower learning rate "
                        f"(now {lr}; e.g. {lr / 10 if isinstance(lr, float) else 'a tenth'})"
                        + (" or gradient clipping (clip_norm=5)." if clip_norm is None
                           else f" or a smaller clip_norm (now {clip_norm})."),
                        history,
                    )
                if clip_norm is not None:
                    clip_grad_norm(grads, clip_norm)
                optimizer.step(model.params, grads)
                step += 1
                history.losses.append(loss)
                history.grad_norms.append(norm)
                bar.update(1)
                if step % 10 == 0 or step == 1:
                    bar.set_postfix(loss=f"{loss:.3f}")
                stop = False
                if val_fn is not None and val_every and step % val_every == 0:
                    history.val_steps.append(step)
                    history.val_losses.append(float(val_fn(model)))
                for cb in callbacks:
                    if cb(StepInfo(step, epoch, loss, norm, history, model)):
                        stop = True
                if time_limit is not None and time.perf_counter() - start > time_limit:
                    stop = True
                if stop:
                    history.stopped_early = True
                    break
            if history.stopped_early or (max_steps is not None and step >= max_steps):
                break
        if val_fn is not None and (not history.val_steps or history.val_steps[-1] != step):
            history.val_steps.append(step)
            history.val_losses.append(float(val_fn(model)))
    finally:
        bar.close()
        history.seconds = time.perf_counter() - start
    return history


def evaluate(model, batches, carry_state=True):
    """Mean loss over all (x, y) in ``batches`` without updating anything (weighted by positions)."""
    total, count, state = 0.0, 0, None
    for item in batches:
        x, y = _pair("evaluate", item)
        if not carry_state or (state is not None and state_batch_size(state) != len(x)):
            state = None
        loss, state = model.eval_loss(x, y, state)
        total += loss * np.size(y)
        count += np.size(y)
    if count == 0:
        raise ValueError("evaluate: batches yielded nothing")
    return total / count
