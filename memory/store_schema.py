"""The store's own tables (streams, events, vectors, keyframes, checkpoints, utterances, memory state,
screen text), the schema version and the migrations from older versions.

Tables that other modules of memory/ own register themselves in memory/schema.py (each runs
CREATE ... IF NOT EXISTS statements inside the caller's transaction). They run when a memory is
created and at every writable open, so a memory made by an older mnemo gains them without a schema
version bump; the store never imports the modules that own them.
"""

from __future__ import annotations


SCHEMA_VERSION = 3
APPLICATION = "mnemo"
DB_NAME = "memory.db"

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS streams (
        id TEXT PRIMARY KEY,
        uri TEXT NOT NULL,
        info TEXT NOT NULL DEFAULT '{}',          -- JSON object
        added REAL NOT NULL                       -- wall clock, unix seconds
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,     -- never reused, so caches keyed by id stay valid
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        start REAL NOT NULL,                      -- media time, seconds
        "end" REAL NOT NULL CHECK ("end" >= start),
        text TEXT NOT NULL DEFAULT '',
        surprise REAL NOT NULL DEFAULT 0,
        created REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_stream_start ON events(stream, start)",
    """CREATE TABLE IF NOT EXISTS spaces (
        name TEXT PRIMARY KEY,
        dim INTEGER NOT NULL CHECK (dim > 0),     -- fixed at first use
        count INTEGER NOT NULL DEFAULT 0,         -- vectors in the space
        generation INTEGER NOT NULL DEFAULT 0,    -- bumped by every write to the space's vectors
        epoch INTEGER NOT NULL DEFAULT 0          -- bumped by every write that is not an append
    )""",
    """CREATE TABLE IF NOT EXISTS vectors (
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        space TEXT NOT NULL REFERENCES spaces(name),
        data BLOB NOT NULL,                       -- float16 little-endian, dim values
        PRIMARY KEY (event_id, space)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS vectors_space ON vectors(space, event_id)",
    """CREATE TABLE IF NOT EXISTS keyframes (
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        time REAL NOT NULL,
        jpeg BLOB,
        PRIMARY KEY (event_id, ordinal)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        stream TEXT PRIMARY KEY REFERENCES streams(id) ON DELETE CASCADE,
        position REAL NOT NULL,                   -- media time to resume reading from
        state BLOB NOT NULL,                      -- opaque pipeline state
        done INTEGER NOT NULL DEFAULT 0,
        updated REAL NOT NULL
    )""",
]

# version 2: speech (utterances with their voice) and per-memory state (e.g. the voice clusterer)
_SCHEMA_V2 = [
    """CREATE TABLE IF NOT EXISTS utterances (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id INTEGER REFERENCES events(id) ON DELETE CASCADE,
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        start REAL NOT NULL,                      -- media time, seconds
        "end" REAL NOT NULL CHECK ("end" >= start),
        text TEXT NOT NULL DEFAULT '',
        voice TEXT,                               -- 'voice:N' or NULL
        origin TEXT NOT NULL,                     -- asr, subtitle, sidecar, vad
        language TEXT,
        words TEXT NOT NULL DEFAULT '[]',         -- JSON [[word, start, end, probability], ...]
        confidence REAL,
        model TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS utterances_stream_start ON utterances(stream, start)",
    "CREATE INDEX IF NOT EXISTS utterances_voice ON utterances(voice)",
    """CREATE TABLE IF NOT EXISTS memory_state (
        key TEXT PRIMARY KEY,                     -- e.g. 'voices': the voice clusterer
        value BLOB NOT NULL,
        updated REAL NOT NULL
    )""",
]
# version 3: screen text (lines read by OCR on keyframes), each line stored once while it stays on screen
_SCHEMA_V3 = [
    """CREATE TABLE IF NOT EXISTS screen_text (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id INTEGER REFERENCES events(id) ON DELETE CASCADE,  -- the event it was first read in
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        time REAL NOT NULL,                       -- media time of the keyframe it was first read on
        text TEXT NOT NULL,
        x0 REAL NOT NULL, y0 REAL NOT NULL,       -- box, fractions of the frame's width and height
        x1 REAL NOT NULL, y1 REAL NOT NULL,
        score REAL NOT NULL,                      -- the reader's confidence, 0..1
        origin TEXT NOT NULL DEFAULT 'ocr',
        model TEXT                                -- which reader read it
    )""",
    "CREATE INDEX IF NOT EXISTS screen_text_stream_time ON screen_text(stream, time)",
    "CREATE INDEX IF NOT EXISTS screen_text_event ON screen_text(event_id)",
]
_SCHEMA += _SCHEMA_V2 + _SCHEMA_V3
_MIGRATIONS = {1: _SCHEMA_V2, 2: _SCHEMA_V3}  # from version N to N + 1
