import subprocess
import sys

import nnstudio


def test_public_names_resolve():
    import nnstudio.train

    for name in ("load", "fit", "evaluate", "TrainConfig", "load_dataset", "load_spec", "build_model",
                 "save_model", "load_model", "Model", "Prediction", "History", "Evaluation"):
        assert getattr(nnstudio, name) is not None, name
    assert callable(nnstudio.train.evaluate) and callable(nnstudio.evaluate)
    assert issubclass(nnstudio.TrainingError, nnstudio.errors.NnstudioError)


def test_import_is_quick_and_torch_free():
    code = "import sys, nnstudio; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_docstring_example_runs():
    data = nnstudio.load_dataset("shapes")
    network = nnstudio.build_model(nnstudio.load_spec("shapes-mlp"), seed=0)
    history = nnstudio.fit(network, data, nnstudio.TrainConfig(epochs=1, batch_size=8))
    assert len(history) == 1
