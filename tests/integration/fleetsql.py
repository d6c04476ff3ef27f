"""TEMPORARY: narrowing a user to groups has no route on main yet (the users routes add it); until then
this writes the user_groups row straight into the server's SQLite database (WAL: safe beside the running
server). Everything else of the fleet set-up goes through the API (fleetapi.py)."""
from contextlib import closing
import os
import sqlite3


def _db(data):
    return sqlite3.connect(os.path.join(str(data), "fleetd.db"), timeout=10, isolation_level=None)


def narrow(data, email, group_id):
    """Limits the user to the vehicles of a group."""
    with closing(_db(data)) as db:
        uid, = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
        db.execute("INSERT INTO user_groups (user_id, group_id) VALUES (?, ?)", (uid, group_id))
