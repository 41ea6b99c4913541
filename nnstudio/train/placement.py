"""Where a training runs: its device, and its place among several processes.

One process on one device is the common case, and costs nothing here: every method
is then a no-op. Under torchrun (``torchrun --nproc-per-node N -m nnstudio train ...``,
or ``nnstudio train --nproc N``), each process is one rank of a world; the Placement
joins the process group (gloo on the CPU, nccl on CUDA), wraps the network in
DistributedDataParallel, and gives the loop what it needs to act as one training:
which samples of a batch are this process's, the sum of the epoch's figures over all
processes, and rank 0's word on decisions taken by clock (stop, checkpoint).

How a batch is shared: sample i belongs to process i % world. Every process draws the
same permutation, so each global batch is the same as in a single process; a process
computes the summed loss of its own samples, scaled so that DDP's mean over processes
gives the mean over the whole batch (uneven shares and an uneven last batch weigh
right). Batch normalization and dropout, the layers that look across a batch, see the
whole batch too (nnstudio.model.shared_batch), so N processes reach the weights of one.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta

import torch
import torch.distributed as dist

from nnstudio.errors import TrainingError
from nnstudio.model.shared_batch import BatchShare, attach_share, detach_share

log = logging.getLogger(__name__)

# How long a process waits for the others in one exchange before giving up (a process
# that died leaves the rest waiting; torchrun then restarts them all).
COLLECTIVE_TIMEOUT_SECONDS = 300


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """Return the torch device for a device option: 'auto' is cuda when this PyTorch sees
    a GPU, else cpu; under torchrun, 'cuda'/'auto' mean the GPU of the process's local rank."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device(name)


@dataclass
class Placement:
    """The device of this process, its rank and the world size (1: a single process)."""

    device: torch.device
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    share: BatchShare | None = field(default=None, repr=False)
    owns_group: bool = field(default=False, repr=False)  # this Placement started the process group

    @property
    def is_main(self) -> bool:
        """True for the one process that reports, prints and writes files."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @classmethod
    def single(cls, device: str | torch.device = "cpu") -> Placement:
        """One process on one device."""
        return cls(resolve_device(device) if isinstance(device, str) else device)

    @classmethod
    def from_environment(cls, device: str = "auto") -> Placement:
        """The placement torchrun describes in RANK, WORLD_SIZE and LOCAL_RANK (a single
        process when they are absent); joins the process group when there are several."""
        world = _env_int("WORLD_SIZE", 1)
        if world <= 1:
            return cls.single(device)
        rank, local = _env_int("RANK", 0), _env_int("LOCAL_RANK", 0)
        where = resolve_device(device, local)
        owns = False
        if not dist.is_initialized():
            backend = "nccl" if where.type == "cuda" else "gloo"
            if where.type == "cuda":
                torch.cuda.set_device(where)
            dist.init_process_group(backend=backend, store=_attempt_store(rank, world), rank=rank,
                                    world_size=world, timeout=timedelta(seconds=COLLECTIVE_TIMEOUT_SECONDS))
            owns = True
        log.info("process %d of %d on %s (%s)", rank, world, where, dist.get_backend())
        return cls(where, rank, world, local, owns_group=owns)

    # ---- the batch --------------------------------------------------------------------
    def mine(self, ids: torch.Tensor) -> torch.Tensor:
        """Return the positions, within ids (one batch's sample ids), of this process's samples."""
        if self.world == 1:
            return torch.arange(len(ids), device=ids.device)
        return torch.nonzero(ids % self.world == self.rank).flatten()

    def begin_batch(self, positions: torch.Tensor, size: int) -> None:
        """Tell the batch-wide layers which positions of a batch of size samples are here."""
        if self.share is not None:
            self.share.positions, self.share.size = positions, size

    # ---- the network ------------------------------------------------------------------
    def wrap(self, network: torch.nn.Module) -> torch.nn.Module:
        """Return the module to train: the network itself, or it wrapped in DDP with its
        batch-wide layers shown the whole batch."""
        if not self.distributed:
            return network
        from torch.nn.parallel import DistributedDataParallel

        # The statistics' all-reduces run inside forward and backward; a group of their own
        # keeps them apart from DDP's gradient buckets, which run at the same time.
        self.share = BatchShare(group=dist.new_group(list(range(self.world))))
        attach_share(network, self.share)
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(network, device_ids=ids, forward_sync_buffers=False)

    def unwrap(self, network: torch.nn.Module) -> None:
        """Give the network back its single-process layers (after training)."""
        if self.share is not None:
            detach_share(network)
            self.share = None

    # ---- agreeing ---------------------------------------------------------------------
    def sum(self, values: torch.Tensor) -> torch.Tensor:
        """Return values summed over every process (values itself in a single process)."""
        if not self.distributed:
            return values
        total = values.clone()
        dist.all_reduce(total)
        return total

    def main_says(self, *flags: bool) -> tuple[bool, ...]:
        """Return rank 0's flags in every process: decisions taken by its clock or its
        callbacks (stop, save a checkpoint) must be the same everywhere."""
        if not self.distributed:
            return tuple(flags)
        values = torch.tensor([int(f) for f in flags], dtype=torch.int64, device=self._wire())
        dist.broadcast(values, src=0)
        return tuple(bool(v) for v in values.tolist())

    def main_value(self, value: float) -> float:
        """Return rank 0's value in every process (a measurement all must agree on)."""
        if not self.distributed:
            return value
        wire = torch.tensor([value], dtype=torch.float64, device=self._wire())
        dist.broadcast(wire, src=0)
        return float(wire[0])

    def gather(self, tensor: torch.Tensor) -> list[torch.Tensor]:
        """Return every process's tensor (same shape and dtype everywhere), rank order."""
        if not self.distributed:
            return [tensor]
        wire = tensor.to(self._wire())
        parts = [torch.empty_like(wire) for _ in range(self.world)]
        dist.all_gather(parts, wire)
        return [p.to(tensor.device) for p in parts]

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def close(self) -> None:
        """Leave the process group, when this Placement joined it."""
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False

    def _wire(self) -> torch.device:
        # nccl moves only CUDA tensors; gloo only CPU ones.
        return self.device if self.device.type == "cuda" else torch.device("cpu")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as err:
        raise TrainingError(f"The environment variable {name} is {value!r}; torchrun sets it to a whole "
                            "number. help: start the training with torchrun or nnstudio train --nproc.") from err


def _attempt_store(rank: int, world: int) -> dist.Store:
    """The key-value store the processes meet in, under a prefix of this attempt: after
    torchrun restarts the workers, keys the failed attempt left behind (addresses of
    processes that are gone) would otherwise be read by the new ones, which then wait
    for peers that never answer."""
    host = os.environ.get("MASTER_ADDR", "127.0.0.1")
    port = _env_int("MASTER_PORT", 29500)
    # Under torchrun the agent hosts the store; started by hand, rank 0 does.
    hosted_by_agent = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
    store = dist.TCPStore(host, port, world, is_master=rank == 0 and not hosted_by_agent,
                          timeout=timedelta(seconds=COLLECTIVE_TIMEOUT_SECONDS))
    return dist.PrefixStore(f"nnstudio/attempt-{restart_count()}", store)


def restart_count() -> int:
    """How many times torchrun has restarted this training's workers (0: the first start)."""
    return _env_int("TORCHELASTIC_RESTART_COUNT", 0)
