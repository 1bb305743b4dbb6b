"""The training loop and command line the examples share: minibatches drawn by a
NumPy generator, a loss bar printed as training goes, the held-out accuracy at
the end checked against the example's stated target."""

import argparse
import time

import numpy as np

import nbgrad as nb
from nbgrad import nn

__all__ = ["accuracy", "fit", "main", "split", "train"]


def split(x, y, n):
    """NumPy data (x, y) as tensors: the first `n` for training, the rest held out."""
    return (nb.tensor(x[:n]), nb.tensor(y[:n])), (nb.tensor(x[n:]), nb.tensor(y[n:]))


def accuracy(model, x, y):
    """The fraction of `x` that `model` classifies as `y` (in eval mode)."""
    model.eval()
    with nb.no_grad():
        pred = model(x).argmax(1)
    model.train()
    return float((pred == y).float().mean())


def fit(model, opt, loss_fn, train, test, steps, batch, seed, say, every, target):
    """`steps` minibatch steps on `train` = (x, y); returns (final training loss,
    held-out accuracy on `test`).  A loss line every `every` steps."""
    x_train, y_train = train
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        idx = nb.tensor(rng.choice(len(x_train), batch, replace=False))
        opt.zero_grad()
        loss = loss_fn(model(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
        if step % every == 0 or step == 1:
            bar = "#" * max(1, int(loss.item() * 30))
            say(f"step {step:4d}  loss {loss.item():.4f}  {bar}")
    with nb.no_grad():
        final = float(loss_fn(model(x_train), y_train))
    acc = accuracy(model, *test)
    say(f"{steps} steps in {time.perf_counter() - start:.1f} s; training loss {final:.4f}, "
        f"held-out accuracy {acc:.1%} (target {target:.0%})")
    return final, acc


def train(make_model, make_optimizer, data, n_train, title, steps, batch, seed, quiet, every,
          target):
    """An example's training: seed nbgrad, make the model and its optimizer (which
    returns (optimizer, its description)), print `title` and the model unless `quiet`,
    then `fit` with cross entropy on `data` = (x, y) NumPy arrays split at `n_train`."""
    nb.manual_seed(seed)
    model = make_model()
    opt, name = make_optimizer(model)
    say = (lambda *a: None) if quiet else print
    say(f"{title}; {name}\n{model}")
    train_set, test_set = split(*data, n_train)
    return fit(model, opt, nn.CrossEntropyLoss(), train_set, test_set, steps, batch, seed, say,
               every, target)


def main(argv, doc, train, steps, target):
    """The examples' command line: --steps, --seed, --quiet; exits with an error below
    the stated accuracy."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    _, acc = train(args.steps, args.seed, quiet=args.quiet)
    if acc < target:
        raise SystemExit(f"accuracy {acc:.1%} is below the stated {target:.0%}")
