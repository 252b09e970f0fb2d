"""The launcher's `rasa run` command line, parsed by Rasa's own argument parser."""
from __future__ import annotations

import shlex

from engine_python import run_in_engine

from bot.launcher import procfile_lines, write_endpoints
from bot.settings import load_settings

PARSE = r"""
import json, sys
from rasa.__main__ import create_argument_parser
args = create_argument_parser().parse_args(sys.argv[1:])
print(json.dumps({"auth_token": args.auth_token, "port": args.port, "model": args.model,
                  "enable_api": args.enable_api}))
"""


def test_a_token_that_starts_with_a_dash_reaches_rasa_as_the_token(tmp_path):
    # URL-safe tokens start with "-" one time in 64; "--auth-token -x" made `rasa run` exit with 2.
    (tmp_path / "rasa_api_token").write_text("-Xy_secret-token")
    settings = load_settings({"SAMTALE_VAR_DIR": str(tmp_path), "RASA_PORT": "5123"})
    rasa_line = next(line for line in procfile_lines(settings, write_endpoints(settings))
                     if line.startswith("rasa:"))
    command = shlex.split(rasa_line.split(" && ", 1)[1])
    arguments = command[command.index("engine.serve") + 1:]
    assert run_in_engine(PARSE, *arguments) == {
        "auth_token": "-Xy_secret-token", "port": 5123, "model": "models/samtale.tar.gz",
        "enable_api": True}
