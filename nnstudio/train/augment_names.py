"""The names of the training-time augmentations, without torch.

TrainConfig checks its `augment` option against these, and the CLI builds its
`--augment` choices from them, so neither needs torch; augment.AUGMENTATIONS maps
the same names to their functions (a test keeps the two in step).
"""

AUGMENTATION_NAMES: tuple[str, ...] = ("none", "distort")
