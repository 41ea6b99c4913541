"""Datasets and image preparation.

Built-in data (the course's 5x5 shapes, synthetic letters A-Z, handwritten digits,
an MNIST sample), the user's image folders and training files all load as a
`Dataset`; `prepare_image` turns any picture into a network input, the same way for
training and for prediction.
"""

from nnstudio.data.dataset import Dataset
from nnstudio.data.folders import load_folder, write_image_folder
from nnstudio.data.prepare import MAX_IMAGE_PIXELS, Preparation, open_image, prepare_image
from nnstudio.data.shapes import BROKEN_SQUARE, SHAPE_BITMAPS, SHAPES
from nnstudio.data.sources import DATASET_NAMES, load_dataset
from nnstudio.data.trainfile import read_pixel_file, read_training_file, write_training_file

__all__ = [
    "BROKEN_SQUARE",
    "DATASET_NAMES",
    "MAX_IMAGE_PIXELS",
    "SHAPES",
    "SHAPE_BITMAPS",
    "Dataset",
    "Preparation",
    "load_dataset",
    "load_folder",
    "open_image",
    "prepare_image",
    "read_pixel_file",
    "read_training_file",
    "write_image_folder",
    "write_training_file",
]
