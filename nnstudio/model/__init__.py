"""A spec as a PyTorch module, with every layer's activations available for one input."""

from nnstudio.model.network import LayerActivation, Network, build_model, initialize

__all__ = ["LayerActivation", "Network", "build_model", "initialize"]
