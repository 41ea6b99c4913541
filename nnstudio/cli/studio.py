"""The studio command: serve the web app on a local socket."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nnstudio.cli.root import main

# ----------------------------------------------------------------------------- studio


@main.command()
@click.option("--workspace", default="nnstudio-workspace", show_default=True, type=click.Path(path_type=Path),
              help="Folder holding the studio's datasets, runs and models (created when missing).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Only this machine can reach 127.0.0.1; another address "
                   "lets other machines in.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser tab.")
@click.option("--parallel-runs", type=click.IntRange(min=1), default=None,
              show_default="1 on a CPU machine, one per GPU where PyTorch sees GPUs",
              help="Trainings that run at once; the others wait in a queue and start in the order they "
                   "were queued. With GPUs each run gets its own (device cuda:N).")
@click.option("--token", metavar="TOKEN", default=None, envvar="NNSTUDIO_TOKEN", show_envvar=True,
              help="The access token every request must carry [a new random one at each start]. The printed "
                   "address carries it; scripts send 'Authorization: Bearer TOKEN'. Other users of this "
                   "machine can read a command line (ps), not another user's environment: give a token "
                   "you keep through NNSTUDIO_TOKEN.")
@click.option("--no-token", is_flag=True,
              help="Serve without an access token: any program or user of this machine can use the studio. "
                   "Only with a loopback --host (127.0.0.1, ::1, localhost).")
@click.pass_context
def studio(ctx: click.Context, workspace: Path, host: str, port: int, no_browser: bool,
           parallel_runs: int | None, token: str | None, no_token: bool) -> None:
    """Start the studio, a web app on this machine: design, train, draw and test networks.

    It prints its address, with the access token: open that address (a browser tab
    opens it unless --no-browser)."""
    import socket
    import webbrowser

    import uvicorn

    from nnstudio.studio.access import AccessError, address, new_token
    from nnstudio.studio.app import create_app
    from nnstudio.threads import use_threads

    if no_token and token is not None:
        if ctx.get_parameter_source("token") == click.core.ParameterSource.ENVIRONMENT:
            raise AccessError("NNSTUDIO_TOKEN is set and --no-token was given. help: unset NNSTUDIO_TOKEN, "
                              "or leave out --no-token")
        raise AccessError("--token and --no-token were both given. help: choose one")
    torch_threads = ctx.find_root().params.get("threads")
    token = None if no_token else token if token is not None else new_token()
    app = create_app(workspace, token=token, host=host, threads=torch_threads, parallel_runs=parallel_runs)
    use_threads(1)  # the server predicts one input at a time; trainings get the other cores
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off only on sockets
    # that say they are TCP, and with it on every answer on a kept-alive connection
    # waited 40 ms for the browser's delayed acknowledgement.
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM,
                             socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)  # from here on, a browser that connects waits instead of being refused
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} ({error.strerror}). help: choose "
                                   "another --port, or stop the program that uses it") from None
    url = address(host, listener.getsockname()[1], token)
    click.echo(f"nnstudio studio at {url}  (workspace {workspace.resolve()}; Ctrl-C stops it)")
    if token is not None:
        click.echo("scripts send the token of this address in the header 'Authorization: Bearer TOKEN'; "
                   "/docs lists the API")
    sys.stdout.flush()  # a script or test reading the URL through a pipe gets it now, not at exit
    if not no_browser:
        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5)
    try:
        uvicorn.Server(config).run(sockets=[listener])
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully (runs keep their checkpoints), then re-raises the
        # Ctrl-C it caught: a stop the user asked for, so a clean exit.
        pass
    click.echo("nnstudio studio stopped", err=True)
