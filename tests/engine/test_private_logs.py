"""engine/private_logs.py: Rasa's log file gets ids and sizes, not what people write, and
rotates at its size limit."""
from __future__ import annotations

from engine_python import run_in_engine

# Runs inside the engine environment: Rasa's own logging set-up (structlog and the --log-file
# handler, as `rasa run` makes them), patched by engine.serve, then what Rasa logs when a turn
# fails or times out.
LOGGING = r"""
import json, logging, os, sys
import engine.serve  # installs engine.private_logs
import engine.private_logs as private_logs
import rasa.core.utils
from rasa.utils.log_utils import configure_structlog
import structlog

log_file = sys.argv[1]
configure_structlog(logging.INFO)
rasa.core.utils.configure_file_logging(logging.getLogger(), log_file, False)
structlogger = structlog.get_logger()
text = "Mit cpr er 010190-1234 og jeg drømmer om en hemmelig have"
structlogger.error("rest.message.received.failure", text=text)
structlogger.error("rest.message.received.timeout", text=text, user_message=text)
try:
    raise ValueError(f"could not handle {text!r}")
except ValueError:
    logging.getLogger("rasa.core.processor").exception(
        "Encountered an exception while running action '%s'.", "samtale_form")
logging.getLogger("rasa.core.processor").warning("contact given: %s", "ring 12345678, cpr 0101901234")
logging.getLogger("sanic.error").error("a long one: %s", "x" * 5000)
for handler in logging.getLogger().handlers:
    handler.flush()
private_logs.LOG_FILE_BYTES = 0
print(json.dumps({"log": open(log_file).read(), "mode": oct(os.stat(log_file).st_mode & 0o777),
                  "handlers": [type(h).__name__ for h in logging.getLogger().handlers]}))
"""


def test_the_log_holds_no_user_text_and_is_a_rotating_private_file(tmp_path):
    seen = run_in_engine(LOGGING, str(tmp_path / "rasa.log"))
    log = seen["log"]
    assert "hemmelig" not in log and "010190" not in log and "drømmer" not in log
    assert "rest.message.received.failure" in log and "<57 redacted>" in log
    assert "ValueError at" in log and "Encountered an exception" in log
    assert "12345678" not in log and "0101901234" not in log and "[CPR-nummer]" in log
    assert "x" * 600 not in log and "<5012 characters>" in log
    assert seen["mode"] == "0o600"
    assert "RotatingFileHandler" in seen["handlers"]
