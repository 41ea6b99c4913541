"""The studio's work, one module per resource, called by the thin routes in routes/.
Each function takes the StudioState and plain values and returns plain data (or bytes
and SVG text); none knows about requests or responses. Problems are raised as
nnstudio's errors, which the app turns into HTTP answers."""
