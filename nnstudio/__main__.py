from nnstudio.cli import main

main(prog_name="nnstudio")
