"""One epoch's batches: which samples, in what order, as float inputs on the device.

The samples stay where the data put them: one tensor of this process's rows, float32,
or uint8 pixel codes (value = code / 255), which take a quarter of the memory. No copy
of the whole epoch is made: a batch gathers its rows and turns them into floats, and
augmentation streams the epoch through in blocks of augment.CHUNK images, drawing
from its generator exactly as one call over the whole epoch would.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nnstudio.train.augment import CHUNK

Augmentation = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def as_float(x: torch.Tensor) -> torch.Tensor:
    """Return x as values of torch's default float type (float32 unless a check of
    rounding asks for float64): uint8 codes become code / 255 (the same division the
    image preparation makes, so the values are the very ones prediction sees)."""
    dtype = torch.get_default_dtype()
    return x.to(dtype).div_(255.0) if x.dtype == torch.uint8 else x.to(dtype)


def loss_input(out: torch.Tensor) -> torch.Tensor:
    """The network's output in the float type its loss is taken in: bfloat16 (autocast)
    becomes float32; float32 and float64 stay as they are."""
    return out if out.dtype in (torch.float32, torch.float64) else out.float()


class EpochBatches:
    """The batches of one epoch in this process.

    ids (n,) are the epoch's global sample ids in order, cut into batches of batch_size;
    rows maps ids to rows of x; of each batch, this process (rank of world) trains the
    samples i with i % world == rank.
    """

    def __init__(self, x: torch.Tensor, x_cpu: torch.Tensor, ids: torch.Tensor, batch_size: int,
                 rows: Callable[[torch.Tensor], torch.Tensor], rank: int, world: int,
                 augment: Augmentation | None, generator: torch.Generator) -> None:
        self.x, self.x_cpu, self.batch_size = x, x_cpu, batch_size
        n = len(ids)
        batches = -(-n // batch_size)
        self.global_sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
        where = torch.arange(n)
        if world == 1:
            self.local_ids = ids
            within = where % batch_size
            self.counts = list(self.global_sizes)
        else:  # sample i is process i % world's
            here = ids % world == rank
            self.local_ids = ids[here]
            within = (where % batch_size)[here]
            self.counts = torch.bincount((where // batch_size)[here], minlength=batches).tolist()
        self.offsets = [0]
        for count in self.counts:
            self.offsets.append(self.offsets[-1] + count)
        device = x.device
        self.local_rows = rows(self.local_ids)  # (m,) rows of x, this process's samples in epoch order
        self.rows_on_device = self.local_rows.to(device)
        self.ids_on_device = self.local_ids.to(device)
        self.within = within.to(device)  # (m,) each sample's position within its batch
        self.augment, self.generator = augment, generator
        self.block: torch.Tensor | None = None  # augmented images of the current block
        self.block_start = 0

    def positions(self, index: int) -> torch.Tensor:
        """The positions of this process's samples within batch index (on the device)."""
        return self.within[self.offsets[index]:self.offsets[index + 1]]

    def __len__(self) -> int:
        return len(self.counts)

    def ids(self, index: int) -> torch.Tensor:
        """The global ids of this process's samples of batch index (on the device)."""
        return self.ids_on_device[self.offsets[index]:self.offsets[index + 1]]

    def inputs(self, index: int) -> torch.Tensor:
        """Float inputs (b, *input_shape) of this process's samples of batch index."""
        start, stop = self.offsets[index], self.offsets[index + 1]
        if self.augment is None:
            return as_float(self.x.index_select(0, self.rows_on_device[start:stop]))
        parts = []
        while start < stop:
            block = self._block_holding(start)
            end = min(stop, self.block_start + len(block))
            parts.append(block[start - self.block_start:end - self.block_start])
            start = end
        out = parts[0] if len(parts) == 1 else torch.cat(parts)
        return out.to(self.x.device)

    def skip_to(self, index: int) -> None:
        """Make the augmentation draws of the batches before index (a resumed epoch)."""
        if self.augment is not None and index > 0 and self.offsets[index] > 0:
            self._block_holding(self.offsets[index] - 1)

    def _block_holding(self, position: int) -> torch.Tensor:
        """The augmented block that holds the position-th sample of this process's epoch;
        blocks are made in order, each from the generator's next draws."""
        while self.block is None or position >= self.block_start + len(self.block):
            start = 0 if self.block is None else self.block_start + len(self.block)
            rows = self.local_rows[start:start + CHUNK]
            augment = self.augment if self.augment is not None else _unchanged
            self.block = augment(as_float(self.x_cpu.index_select(0, rows)), self.generator)
            self.block_start = start
        return self.block


def _unchanged(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return x
