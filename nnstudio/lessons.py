"""Real numbers for the course's concept pictures, computed with torch outside nnstudio.draw.

- `neuron_numbers`: one neuron of a trained network for one input (inputs, weights, bias,
  activation, output as the network computes it);
- `lr_schedules`: the learning rate per epoch of every decay kind, from the schedulers
  training itself uses;
- `gradient_norms`: per-layer weight-gradient size after one backward pass through a
  deep sigmoid network and the same network with relu.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from nnstudio.errors import DrawError


def neuron_numbers(model: Any, sample: Any, *, layer: int | None = None,
                   neuron: int | None = None) -> dict[str, Any]:
    """Return the numbers of one Dense neuron for `sample`: inputs, weights, bias,
    activation name, output. Default: the most active neuron of the first Dense layer."""
    from nnstudio.draw.adapter import network_of, view_of
    from nnstudio.draw.view import group_stages

    network = network_of(model)
    view = view_of(model, sample)  # the sample goes through Model.prepare, as in predict
    if view.outputs is None or view.weights is None:
        raise DrawError("one neuron needs a trained model and a sample")
    dense = [s for s in group_stages(view.spec) if s.kind == "dense"]
    stage = dense[0] if layer is None else next((s for s in dense if s.layer == layer), None)
    if stage is None:
        raise DrawError(f"layer {layer} is not a Dense layer; allowed: "
                        f"{', '.join(str(s.layer) for s in dense)}")
    before = max((k for k in view.outputs if k < stage.layer), default=-1)
    inputs = np.asarray(view.outputs[before], dtype=float)
    weights = view.weights[f"layers.{stage.layer}.weight"]  # (out, in)
    if inputs.ndim == 2 and inputs.shape[1] == weights.shape[1]:
        inputs = inputs[-1]  # a recurrent layer reports every step; the Dense reads the last
    inputs = inputs.reshape(-1)
    output = np.asarray(view.outputs[stage.last], dtype=float).reshape(-1)
    index = int(np.argmax(output)) if neuron is None else neuron
    bias = network.state_dict().get(f"layers.{stage.layer}.bias")
    return {"inputs": inputs, "weights": weights[index],
            "bias": 0.0 if bias is None else float(bias[index]), "activation": stage.activation
            or "linear", "output": float(output[index]), "neuron": index, "layer": stage.layer}


def lr_schedules(lr: float = 0.01, epochs: int = 30) -> dict[str, list[float]]:
    """Return decay kind -> the learning rate used in each epoch, from training's schedulers."""
    from nnstudio.train.config import LR_DECAYS, TrainConfig
    from nnstudio.train.schedule import make_scheduler

    schedules = {}
    for kind in LR_DECAYS:
        config = TrainConfig.from_options(None, lr=lr, epochs=epochs, lr_decay=kind)
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
        scheduler = make_scheduler(optimizer, config)
        rates = []
        for _ in range(epochs):
            rates.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        schedules[kind] = rates
    return schedules


def gradient_norms(data: Any, depth: int = 10, width: int = 32, seed: int = 0,
                   batch: int = 64) -> dict[str, list[float]]:
    """Return activation -> per-layer |dLoss/dW| (layer 1 next to the input) after one
    backward pass of a `depth`-layer network on a batch of `data`, freshly initialized."""
    from nnstudio.model import build_model

    x = torch.as_tensor(data.floats(slice(0, batch)))
    x = x.reshape(len(x), -1)
    y = torch.as_tensor(np.asarray(data.y[:batch], dtype=np.int64))
    norms = {}
    for activation in ("sigmoid", "relu"):
        spec = {"name": f"deep-{activation}", "input_shape": [int(x.shape[1])], "layers": [
            {"type": "Dense", "units": width, "activation": activation} for _ in range(depth)]
            + [{"type": "Dense", "units": len(data.class_names), "activation": "softmax"}]}
        network = build_model(spec, seed=seed)
        loss = torch.nn.functional.cross_entropy(network(x), y)  # forward gives logits
        loss.backward()
        params = dict(network.named_parameters())
        norms[activation] = [float(torch.linalg.vector_norm(params[f"layers.{i}.weight"].grad))
                             for i in range(depth) if params[f"layers.{i}.weight"].grad is not None]
    return norms


def conv_zoom_numbers(model: Any, sample: Any, *, filters: int = 2) -> dict[str, Any]:
    """Return the numbers of one output cell of the first Conv2D layer for `sample`: the
    input map, the weights of `filters` filters, the cell, and per filter the steps after
    the weighted sum (bias, batch norm, activation) as (label, value), checked against
    what the network itself computes at that cell."""
    from nnstudio.draw.adapter import network_of, view_of
    from nnstudio.draw.view import group_stages

    network = network_of(model)
    view = view_of(model, sample)
    if view.outputs is None or view.weights is None:
        raise DrawError("the CNN zoom needs a trained model and a sample")
    stage = next((s for s in group_stages(view.spec) if s.kind == "conv"), None)
    if stage is None:
        raise DrawError(f"{view.spec.name!r} has no Conv2D layer; allowed: a CNN")
    out = np.asarray(view.outputs[stage.last], dtype=float)  # (C, H', W') after its activation
    first = int(np.argmax(out.reshape(len(out), -1).max(axis=1)))
    row, col = np.unravel_index(int(np.argmax(out[first])), out.shape[1:])
    chosen = [first] + [int(c) for c in np.argsort(-out[:, row, col], kind="stable")
                        if c != first][:filters - 1]
    modules = dict(network.named_modules())
    state = {k: v.detach().double().numpy() for k, v in network.state_dict().items()}
    conv_bias = state.get(f"layers.{stage.layer}.bias")
    norm_index = next((i for i in range(stage.layer + 1, stage.last + 1)
                       if view.spec.layers[i]["type"] == "BatchNormalization"), None)
    steps = []
    z_all = _conv_sums(view.outputs[-1], view.weights[f"layers.{stage.layer}.weight"], stage.config)
    for f in chosen:
        z = float(z_all[f, row, col])
        lines = []
        if conv_bias is not None:
            z += float(conv_bias[f])
            lines.append(("+ bias", z))
        if norm_index is not None:
            prefix = f"layers.{norm_index}."
            eps = float(getattr(modules[f"layers.{norm_index}"], "eps", 1e-3))
            z = float((z - state[prefix + "running_mean"][f])
                      / np.sqrt(state[prefix + "running_var"][f] + eps)
                      * state[prefix + "weight"][f] + state[prefix + "bias"][f])
            lines.append(("batch norm", z))
        if stage.activation == "relu" and abs(max(z, 0.0) - float(out[f, row, col])) > 1e-3:
            raise RuntimeError("conv zoom: the steps do not give the network's own output")
        if stage.activation and stage.activation != "linear":
            lines.append((stage.activation, float(out[f, row, col])))
        steps.append(lines)
    image = np.asarray(view.outputs[-1], dtype=float)[0]
    return {"image": image, "kernels": view.weights[f"layers.{stage.layer}.weight"][chosen, 0],
            "row": int(row), "col": int(col), "stride": int(stage.config["strides"][0]),
            "padding": stage.config["padding"], "steps": steps,
            "channel_names": [f"filter {f + 1}" for f in chosen]}


def conv_zoom_picture(model: Any, sample: Any) -> str:
    """Return SVG text of the CNN zoom: conv_zoom_numbers(model, sample) drawn."""
    import nnstudio.draw as draw

    zoom = conv_zoom_numbers(model, sample)
    return draw.draw_conv_zoom(zoom["image"], zoom["kernels"], row=zoom["row"], col=zoom["col"],
                               stride=zoom["stride"], padding=zoom["padding"], steps=zoom["steps"],
                               channel_names=zoom["channel_names"])


def _conv_sums(image: np.ndarray, weights: np.ndarray, config: dict) -> np.ndarray:
    """Return the weighted sums (F, H', W') of a Conv2D without bias, by torch."""
    x = torch.as_tensor(np.asarray(image, dtype=np.float64))[None]
    w = torch.as_tensor(np.asarray(weights, dtype=np.float64))
    from nnstudio.spec import same_padding

    if config["padding"] == "same":
        k, s = config["kernel_size"], config["strides"]
        top, bottom = same_padding(x.shape[2], k[0], s[0])
        left, right = same_padding(x.shape[3], k[1], s[1])
        x = torch.nn.functional.pad(x, (left, right, top, bottom))
    return torch.nn.functional.conv2d(x, w, stride=tuple(config["strides"]))[0].numpy()


def batchnorm_numbers(model: Any, data: Any, *, batch: int = 64, channel: int | None = None
                      ) -> dict[str, Any]:
    """Return one channel's outputs of the first layer before a BatchNormalization, over one
    batch of `data`, with that normalization's learned gamma and beta."""
    from nnstudio.draw.adapter import network_of

    network = network_of(model)
    layers = network.spec.layers
    norm = next((i for i, layer in enumerate(layers) if layer["type"] == "BatchNormalization"), None)
    if norm is None:
        raise DrawError(f"{network.spec.name!r} has no BatchNormalization layer")
    x = torch.as_tensor(data.floats(slice(0, batch)))
    with torch.no_grad():
        for layer in network.layers[:norm]:
            x = layer(x)
    values = x.double().numpy()  # (N, C, H, W) or (N, C)
    state = network.state_dict()
    gamma = state[f"layers.{norm}.weight"].double().numpy()
    beta = state[f"layers.{norm}.bias"].double().numpy()
    if channel is None:
        channel = int(np.argmax(np.abs(gamma - 1) + np.abs(beta)))  # one the training changed
    return {"before": values[:, channel].reshape(-1), "gamma": float(gamma[channel]),
            "beta": float(beta[channel]), "channel": channel, "layer": norm,
            "eps": float(getattr(network.layers[norm], "eps", 1e-3))}


def train_preset(preset: str, data: Any, *, seed: int = 0, **options: Any) -> tuple[Any, Any]:
    """Return (network, History): preset, one output per class of data, built and trained
    on data on the CPU with seed, its own training options under the given `options`."""
    from nnstudio.model import build_model
    from nnstudio.spec import get_preset, with_classes
    from nnstudio.train import TrainConfig, fit

    spec = with_classes(get_preset(preset), len(data.class_names))
    network = build_model(spec, seed=seed)
    config = TrainConfig.from_options(spec.training, seed=seed, device="cpu", **options)
    return network, fit(network, data, config)


def shuffle_accuracies(train: Any, test: Any, presets: dict[str, str], *, epochs: int = 10,
                       seed: int = 0) -> tuple[np.ndarray, dict[str, tuple[float, float]]]:
    """Return (the pixel permutation, name -> (test accuracy on the images, on the same
    images with their pixels shuffled by that one permutation)) for each preset trained
    `epochs` epochs on each version."""
    from nnstudio.data.dataset import Dataset
    from nnstudio.train.evaluate import evaluate

    shape = train.x.shape[1:]
    order = np.random.default_rng(seed).permutation(int(np.prod(shape)))

    def shuffled(data: Any) -> Any:
        x = data.x.reshape(len(data.x), -1)[:, order].reshape(data.x.shape)
        return Dataset(x, data.y, list(data.class_names), data.name)

    results = {}
    for name, preset in presets.items():
        scores = []
        for tr, te in ((train, test), (shuffled(train), shuffled(test))):
            network, _ = train_preset(preset, tr, seed=seed, epochs=epochs, validation=0.0)
            scores.append(evaluate(network, te).accuracy)
        results[name] = (scores[0], scores[1])
    return order, results


LESSONS = ("neuron", "conv-zoom", "batchnorm", "cross-entropy", "dropout", "lr-decay",
           "vanishing-gradient", "training-line", "flattening", "lstm-cell", "gru-cell")


def cell_picture(name: str, model: Any = None) -> str:
    """Return the LSTM or GRU cell diagram ('lstm-cell', 'gru-cell'); with `model` (a
    preset, spec or model folder), sized like its first layer of that type."""
    import nnstudio.draw as draw
    from nnstudio.spec import infer_shapes

    kind, make = (("LSTM", draw.draw_lstm_cell) if name == "lstm-cell"
                  else ("GRU", draw.draw_gru_cell))
    if model is None:
        return make()
    spec = draw.resolve(model).spec
    info = next((i for i in infer_shapes(spec) if i.type == kind), None)
    if info is None:
        raise DrawError(f"{name}: {spec.name!r} has no {kind} layer; allowed: a network with "
                        f"one, or no --model for the cell alone")
    return make(units=int(info.config["units"]), features=int(info.input_shape[1]),
                title=f"{spec.name}, layer {info.index}: one {kind} step")


def lesson_picture(name: str, *, model: Any = None, input: Any = None, data: str = "shapes",
                   index: int = 0, seed: int = 0, lr: float = 0.01, epochs: int = 30) -> str:
    """Return SVG text of the course picture `name` (one of LESSONS), computed from a trained
    `model` (a model folder or Model) and an `input`, a dataset `data`, or the training
    schedulers, as each picture needs."""
    import nnstudio.draw as draw

    if name not in LESSONS:
        raise DrawError(f"lesson picture {name!r} is not known; allowed: {', '.join(LESSONS)}")
    if name == "lr-decay":
        return draw.draw_lr_schedules(lr_schedules(lr, epochs), base_lr=lr)
    if name in ("lstm-cell", "gru-cell"):
        return cell_picture(name, model)
    if name == "dropout":
        if model is None:
            raise DrawError("dropout draws a network; allowed: --model with a preset name, a "
                            "spec file or a model folder")
        return draw.draw_dropout(model, seed=seed)
    from nnstudio.data import load_dataset

    dataset = load_dataset(data)
    if name in ("vanishing-gradient", "training-line", "flattening"):
        if not 0 <= index < len(dataset):
            raise DrawError(f"sample index {index}; allowed: 0 to {len(dataset) - 1}")
        pixels = dataset.floats([index]).reshape(-1)
        if name == "vanishing-gradient":
            return draw.draw_vanishing_gradient(gradient_norms(dataset, seed=seed))
        if name == "training-line":
            return draw.draw_training_line(pixels, int(dataset.y[index]), dataset.class_names)
        side = int(round(np.sqrt(pixels.size)))
        order = np.random.default_rng(seed).permutation(pixels.size)
        return draw.draw_flattening(pixels.reshape(side, -1), order)
    if model is None:
        raise DrawError(f"{name} needs a trained model; allowed: --model with a model folder")
    from nnstudio.predict import load

    loaded = load(model) if not hasattr(model, "network") else model
    sample = dataset.floats([index])[0] if input is None else input
    if name == "batchnorm":
        norm = batchnorm_numbers(loaded, dataset)
        return draw.draw_batchnorm(norm["before"], norm["gamma"], norm["beta"], eps=norm["eps"])
    if name == "conv-zoom":
        return conv_zoom_picture(loaded, sample)
    if name == "neuron":
        one = neuron_numbers(loaded, sample)
        return draw.draw_neuron(one["inputs"], one["weights"], one["bias"],
                                activation=one["activation"], output=one["output"],
                                title=f"hidden 1, neuron {one['neuron'] + 1}")
    from nnstudio.draw.adapter import view_of

    view = view_of(loaded, sample)
    if view.outputs is None:
        raise DrawError("cross-entropy needs a sample to run through the model")
    probabilities = np.asarray(view.outputs[len(view.spec.layers) - 1]).reshape(-1)
    target = int(dataset.y[index]) if input is None else int(np.argmax(probabilities))
    return draw.draw_cross_entropy(probabilities, target, list(loaded.class_names))
