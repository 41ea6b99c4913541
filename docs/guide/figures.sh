#!/bin/sh
# Regenerates the guide's own figures (docs/guide/figures/) with the commands the guide
# shows. Run from the repository root: sh docs/guide/figures.sh [path/to/nnstudio]
# The pictures of trained networks use the models the guide trains, in build/guide/runs/
# under the guide's own names: `make guide` trains them first (docs/update_guide.py --run
# build/guide, which also pastes their outputs into the guide); run alone, this trains
# any that are missing (the shapes MLP in about 15 s, the letters CNN in a few minutes).
set -e
N=${1:-.venv/bin/nnstudio}
PY=${PYTHON:-.venv/bin/python}
F=docs/guide/figures
W=${GUIDE_WORK:-build/guide}
mkdir -p "$F" "$W"
echo "1 1 1 0 1 1 0 0 0 1 1 0 0 0 1 0 0 0 0 1 1 1 1 1 1" > "$W/broken.txt"
# the same broken square as a 5x5 PNG, for the pictures that take an image
$PY -c "import sys, numpy, PIL.Image, nnstudio.data as d
PIL.Image.fromarray((numpy.asarray(d.BROKEN_SQUARE) * 255).astype('uint8')).save(sys.argv[1])" "$W/broken.png"
$N data shapes --out "$W/shapes.dat"
$N draw-data shapes --what grid --out "$F/shapes-grid.png"
$N draw-data shapes --what onehot --index 0 --out "$F/onehot-square.png"
$N draw-lesson training-line --out "$F/training-line.png"
[ -f "$W/runs/shapes/model.json" ] || $N --threads 1 train --data "$W/shapes.dat" --out "$W/runs/shapes" --quiet
$N draw "$W/runs/shapes" --input "$W/broken.png" --out "$F/broken-square-through-mlp.png"
$N draw-lesson neuron --model "$W/runs/shapes" --input "$W/broken.png" --out "$F/neuron.png"
for f in relu sigmoid tanh; do $N draw-function $f --out "$F/function-$f.png"; done
$N draw-function softmax --values 2,1,0.1 --out "$F/softmax.png"
# after one epoch the network still hesitates, so the loss is not 0
[ -f "$W/runs/shapes-1epoch/model.json" ] || $N --threads 1 train --data "$W/shapes.dat" --out "$W/runs/shapes-1epoch" --epochs 1 --quiet
$N draw-lesson cross-entropy --model "$W/runs/shapes-1epoch" --input "$W/broken.png" --out "$F/cross-entropy.png"
$N draw-lesson vanishing-gradient --out "$F/vanishing-gradient.png"
$N draw-lesson lr-decay --out "$F/lr-decay.png"
$N draw-lesson dropout --model shapes-mlp --out "$F/dropout.png"
$N draw letters-mlp --out "$F/letters-mlp.png"
$N draw-lesson flattening --data digits --out "$F/flattening.png"
[ -f "$W/runs/letters/model.json" ] || $N --threads 1 train --data letters --out "$W/runs/letters" --quiet
$N draw-lesson conv-zoom --model "$W/runs/letters" --data letters --out "$F/conv-zoom.png"
$N draw-lesson batchnorm --model "$W/runs/letters" --data letters --out "$F/batchnorm.png"
$N draw "$W/runs/letters" --out "$F/letters-cnn.png"
# The CLI writes PNGs at 2x for sharp screens; the guide keeps them at 1x (as the gallery
# does) so the folder stays small: halve the wide ones and store them with a palette.
$PY -c "import sys, PIL.Image
for path in sys.argv[1:]:
    im = PIL.Image.open(path).convert('RGB')
    if im.width > 1200:
        im = im.resize((im.width // 2, im.height // 2), PIL.Image.LANCZOS)
    im.quantize(256, method=PIL.Image.Quantize.MEDIANCUT).save(path, optimize=True)" "$F"/*.png
