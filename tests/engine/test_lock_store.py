"""engine/lock_store.py: Rasa's ticket locks, shared through files by several Rasa workers."""
from __future__ import annotations

from engine_python import run_in_engine

# Runs inside the engine environment: two stores on one directory stand for two workers.
ORDER = r"""
import asyncio, json, sys
from engine.lock_store import FileLockStore

directory = sys.argv[1]
first, second = FileLockStore(directory=directory), FileLockStore(directory=directory)
seen = {}

async def main():
    one = first.issue_ticket("anna ../../etc/passwd")
    two = second.issue_ticket("anna ../../etc/passwd")
    seen["tickets"] = [one, two]
    lock = second.get_lock("anna ../../etc/passwd")
    seen["second_waits_while_first_holds"] = lock.is_locked(two) and not lock.is_locked(one)
    first.cleanup("anna ../../etc/passwd", one)
    seen["second_goes_on"] = not second.get_lock("anna ../../etc/passwd").is_locked(two)
    second.cleanup("anna ../../etc/passwd", two)
    seen["deleted_when_nobody_waits"] = first.get_lock("anna ../../etc/passwd") is None
    async with first.lock("bo", wait_time_in_seconds=0.01):
        seen["held_elsewhere"] = second.get_lock("bo").is_locked(1)
    seen["released"] = second.get_lock("bo") is None

asyncio.run(main())
print(json.dumps(seen))
"""

# Two processes issue tickets for one conversation at the same time: every ticket once.
RACE = r"""
import json, multiprocessing, sys
from engine.lock_store import FileLockStore

def issue(directory, queue):
    store = FileLockStore(directory=directory)
    queue.put([store.issue_ticket("race", 600) for _ in range(150)])

if __name__ == "__main__":
    queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=issue, args=(sys.argv[1], queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    tickets = queue.get() + queue.get()
    for worker in workers:
        worker.join()
    print(json.dumps(sorted(tickets)))
"""


def test_workers_take_turns_in_ticket_order(tmp_path):
    seen = run_in_engine(ORDER, str(tmp_path))
    assert seen == {"tickets": [0, 1], "second_waits_while_first_holds": True,
                    "second_goes_on": True, "deleted_when_nobody_waits": True,
                    "held_elsewhere": True, "released": True}
    # The conversation id never becomes a path: only hashed lock files and guards.
    assert all(p.name.startswith("guard-") or len(p.stem) == 64 for p in tmp_path.iterdir())


def test_no_ticket_is_issued_twice_when_workers_race(tmp_path):
    assert run_in_engine(RACE, str(tmp_path)) == list(range(300))
