"""The entity registry's names and forgetting, and the names found in text.

Forgetting keeps the entity's row (kind, "forgotten" time) and its appearances (stream, span,
box, event): events stay, anonymous. It deletes the biometric data and the name everywhere:
gallery vectors and crops, re-identification centroids, appearance keyframes, the name and
aliases (also redacted from event text), keys that other components gave it ("voice:3", listed
in the report so that their own state can drop them), keyframe images of events taken while the
entity was in view (by default), their thumbnail files, and the vectors in the entity FAISS files
(rebuilt at once). With ``secure_delete`` the database overwrites deleted content and the WAL is
truncated, so that none of it remains on disk (``verify_forgotten`` checks).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import replace
from typing import Sequence

from memory.entity_base import (REDACTED, ForgetReport, RegistryBase, _check_source, _clean_name, _index_ids,
                                _now, _rank, entity_ref)
from memory.entity_history import forget_names, record_name
from memory.index import stamp_path

logger = logging.getLogger(__name__)


class EntityNaming(RegistryBase):
    """Names, aliases and forgetting (a part of EntityRegistry)."""

    # ------------------------------------------------------------------ names
    def name(self, entity: str | int, name: str, source: str = "user", *, time: float | None = None,
             stream: str | None = None) -> None:
        """Name an entity. A user's name replaces any (the old one stays as an alias); a name from a
        weaker source (transcript, subtitle, the simulator) becomes an alias when a stronger one is set.
        The name is written in the history as given at media ``time`` (a line heard: its end; None: the
        memory's end, as for a user's), so that a question about an earlier time does not know it."""
        name = _clean_name(name)
        _check_source(source)
        with self._write() as c:
            root = self._root(c, entity)
            record_name(c, root, name, source, time, stream)
            old, old_source = c.execute("SELECT name, name_source FROM entities WHERE id = ?", (root,)).fetchone()
            if old is None or _rank(source) >= _rank(old_source):
                c.execute("UPDATE entities SET name = ?, name_source = ? WHERE id = ?", (name, source, root))
                c.execute("DELETE FROM entity_aliases WHERE entity_id = ? AND alias = ?", (root, name))
                if old is not None and old != name:
                    c.execute("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, source) VALUES (?, ?, ?)",
                              (root, old, old_source or "user"))
            elif name != old:
                c.execute("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, source) VALUES (?, ?, ?)",
                          (root, name, source))

    def add_alias(self, entity: str | int, alias: str, source: str = "user") -> None:
        """Another name the entity goes by."""
        alias = _clean_name(alias)
        _check_source(source)
        with self._write() as c:
            root = self._root(c, entity)
            c.execute("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, source) VALUES (?, ?, ?)",
                      (root, alias, source))

    def find(self, name: str) -> list[int]:
        """Entities named or aliased ``name`` (case-insensitive), roots only."""
        rows = self._conn.execute(
            "SELECT id FROM entities WHERE merged_into IS NULL AND name = ? COLLATE NOCASE "
            "UNION SELECT entity_id FROM entity_aliases WHERE alias = ? COLLATE NOCASE", (name, name)).fetchall()
        return sorted({self.resolve(r[0]) for r in rows})

    # ------------------------------------------------------------------ forgetting
    def forget(self, entity: str | int) -> ForgetReport:
        """Delete an entity's biometric data and names everywhere; keep anonymous appearances and events."""
        root = self.resolve(entity)
        secure = self.config.secure_delete and not self.store.readonly
        previous = self._conn.execute("PRAGMA secure_delete").fetchone()[0] if secure else None
        if secure:
            self._conn.execute("PRAGMA secure_delete = ON")
        try:
            with self._write() as c:
                report, gallery_ids, appearance_ids, thumbs = self._forget(c, root)
        finally:
            if secure:
                self._conn.execute(f"PRAGMA secure_delete = {int(previous)}")
        files = self._forget_files(gallery_ids, appearance_ids, thumbs, report.spaces)
        wal = self._truncate_wal() if secure else False
        report = replace(report, files=tuple(files), wal_truncated=wal)
        logger.info("forgot %s: %d vectors, %d crops, %d keyframes, names %s", entity_ref(root), report.gallery,
                    report.crops, report.appearance_keyframes + report.event_keyframes, list(report.names))
        return report

    def _forget(self, c: sqlite3.Connection, root: int) -> tuple[ForgetReport, list[int], list[int], list[str]]:
        ids = tuple([root] + [r[0] for r in c.execute("SELECT id FROM entities WHERE merged_into = ? ORDER BY id",
                                                      (root,))])
        gallery = c.execute("SELECT id, crop IS NOT NULL FROM entity_gallery WHERE entity_id = ?", (root,)).fetchall()
        gallery_ids = [g for g, _ in gallery]
        spaces = self._delete_gallery(c, gallery_ids, unlink=False)  # files go after the commit
        centroids = c.execute("DELETE FROM entity_reid WHERE entity_id = ?", (root,)).rowcount
        appearance_ids = [r[0] for r in c.execute("SELECT id FROM entity_appearances WHERE entity_id = ? "
                                                  "AND keyframe IS NOT NULL", (root,))]
        c.execute("UPDATE entity_appearances SET keyframe = NULL WHERE entity_id = ?", (root,))
        names = [r[0] for r in c.execute("SELECT name FROM entities WHERE id IN (%s) AND name IS NOT NULL "
                                         "UNION SELECT alias FROM entity_aliases WHERE entity_id = ?"
                                         % ",".join("?" * len(ids)), (*ids, root))]
        c.execute("DELETE FROM entity_aliases WHERE entity_id = ?", (root,))
        keys = [r[0] for r in c.execute("SELECT key FROM entity_keys WHERE entity_id IN (%s) ORDER BY key"
                                        % ",".join("?" * len(ids)), ids)]
        c.execute("DELETE FROM entity_keys WHERE entity_id IN (%s)" % ",".join("?" * len(ids)), ids)
        c.execute("UPDATE entities SET name = NULL, name_source = NULL WHERE id IN (%s)" % ",".join("?" * len(ids)), ids)
        forget_names(c, ids)
        c.execute("UPDATE entities SET forgotten = ? WHERE id = ?", (_now(), root))
        redacted = _redact_events(c, names)
        event_keyframes, thumbs = self._drop_event_keyframes(c, root) if self.config.drop_event_keyframes else (0, [])
        kept = c.execute("SELECT COUNT(*) FROM entity_appearances WHERE entity_id = ?", (root,)).fetchone()[0]
        report = ForgetReport(entity=root, ids=ids, gallery=len(gallery_ids), crops=sum(int(b) for _, b in gallery),
                              centroids=centroids, appearance_keyframes=len(appearance_ids),
                              event_keyframes=event_keyframes, names=tuple(sorted(names)), keys=tuple(keys),
                              redacted_events=tuple(redacted), files=(), spaces=tuple(sorted(spaces)),
                              appearances_kept=int(kept), wal_truncated=False)
        return report, gallery_ids, appearance_ids, thumbs

    def _drop_event_keyframes(self, c: sqlite3.Connection, root: int) -> tuple[int, list[str]]:
        """Drop keyframe images of events taken while the entity was in view; returns (count, thumbnail names)."""
        if c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keyframes'").fetchone() is None:
            return 0, []
        margin = self.config.keyframe_margin_s
        rows = c.execute('SELECT DISTINCT k.event_id, k.ordinal FROM keyframes k JOIN events e ON e.id = k.event_id '
                         'JOIN entity_appearances a ON a.stream = e.stream AND a.entity_id = ? '
                         'WHERE k.jpeg IS NOT NULL AND k.time >= a.start - ? AND k.time <= a."end" + ?',
                         (root, margin, margin)).fetchall()
        c.executemany("UPDATE keyframes SET jpeg = NULL WHERE event_id = ? AND ordinal = ?", rows)
        return len(rows), [f"{event}_{ordinal}" for event, ordinal in rows]

    def _forget_files(self, gallery_ids: list[int], appearance_ids: list[int], thumbs: list[str],
                      spaces: Sequence[str]) -> list[str]:
        touched = []
        names = [f"entity-{g}" for g in gallery_ids] + [f"appearance-{a}" for a in appearance_ids] + thumbs
        for name in names:
            path = self._thumb(name)
            if path.exists():
                path.unlink()
                touched.append(str(path))
        for space in spaces:
            self._indexes.pop(space, None)
            path = self.index_path(space)
            if self.spaces().get(space) is not None and self.space_state(space).count > 0:
                self.index(space)  # rebuilt from the database (the epoch moved) and saved over the old file
                touched.append(str(path))
            else:
                for stale in (path, stamp_path(path)):
                    if stale.exists():
                        stale.unlink()
                        touched.append(str(stale))
        return touched

    def _truncate_wal(self) -> bool:
        """Checkpoint and empty the WAL, which still holds old copies of the changed pages."""
        try:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError as exc:
            logger.warning("could not truncate the WAL of %s: %s", self.store.db_path, exc)
            return False
        if busy:
            logger.warning("the WAL of %s could not be emptied (a reader is active): old copies of forgotten "
                           "data stay in it until the next checkpoint", self.store.db_path)
        return not busy

    def verify_forgotten(self, entity: str | int) -> list[str]:
        """What is left of a forgotten entity's biometric data and names (empty when nothing is)."""
        root = self.resolve(entity)
        c = self._conn
        problems = []
        row = c.execute("SELECT forgotten, name FROM entities WHERE id = ?", (root,)).fetchone()
        if row[0] is None:
            problems.append(f"{entity_ref(root)} is not marked forgotten")
        ids = [root] + [r[0] for r in c.execute("SELECT id FROM entities WHERE merged_into = ?", (root,))]
        marks = ",".join("?" * len(ids))
        checks = {
            "names": f"SELECT COUNT(*) FROM entities WHERE id IN ({marks}) AND name IS NOT NULL",
            "aliases": f"SELECT COUNT(*) FROM entity_aliases WHERE entity_id IN ({marks})",
            "gallery rows": f"SELECT COUNT(*) FROM entity_gallery WHERE entity_id IN ({marks})",
            "centroids": f"SELECT COUNT(*) FROM entity_reid WHERE entity_id IN ({marks})",
            "appearance keyframes": f"SELECT COUNT(*) FROM entity_appearances WHERE entity_id IN ({marks}) "
                                    "AND keyframe IS NOT NULL",
        }
        for what, sql in checks.items():
            n = c.execute(sql, ids).fetchone()[0]
            if n:
                problems.append(f"{n} {what} remain")
        gallery_ids = {r[0] for r in c.execute("SELECT id FROM entity_gallery")}
        for space in self.spaces():
            path = self.index_path(space)
            if path.exists():
                stale = set(_index_ids(path)) - gallery_ids
                if stale:
                    problems.append(f"index {path.name} holds {len(stale)} deleted vectors")
        thumbs = self.store.directory / "thumbs"
        for path in thumbs.glob("entity-*.jpg") if thumbs.is_dir() else []:
            if int(path.stem.split("-")[1]) not in gallery_ids:
                problems.append(f"thumbnail {path.name} of a deleted crop remains")
        return problems


_NAME = r"([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)"
# the speaker's own name: "I'm Alice", "my name's Bob", "the name is Carol", "they call me Caz"
_OWN = re.compile(r"\b(?i:i'?m|i am|my name is|my name's|the name's|the name is|call me|i'?m called|i am called|"
                  r"they call me|people call me|you can call me)\s+" + _NAME + r"\b")
_HERE = re.compile(r"^\W*(?i:(?:hi|hello|hey|good morning|good evening)[,\s]+)?(?i:it'?s\s+)?" + _NAME
                   + r"\s+(?i:here|speaking)\b")  # "Hi, Alice here.", "Bob speaking."
_INTRODUCTION = re.compile(r"\b(?i:this is)\s+" + _NAME + r"\b")  # someone introduced, or oneself on a call
_SPEAKER = re.compile(r"^\s*(?:\[([A-Z][\w .'-]{0,30})\]|([A-Z][A-Za-z .'-]{0,30}?)\s*:)\s*(.*)$", re.S)
_NOT_NAMES = {"I", "Im", "Sorry", "Here", "Fine", "Good", "Ok", "Okay", "Not", "Just", "So", "Very", "Going", "The",
              "Back", "Home", "Done", "Ready", "Sure", "Happy", "Glad", "Tired", "Hungry", "Busy", "Late", "Right",
              "Afraid", "Off", "Heading", "Looking", "On", "In", "At", "Still", "Almost", "Coming", "Well", "Also",
              "Trying", "Thinking", "Getting", "About", "Really", "Only", "It", "That", "What", "A", "An", "My", "Your"}


def introduced_names(text: str, own: bool = False) -> list[str]:
    """Names people give in ``text``: themselves ("I'm Alice", "my name is Bob", "call me Carol", "Dana
    here") and, unless ``own``, others too ("this is Eve")."""
    text = text.replace("\u2019", "'")
    patterns = (_OWN, _HERE) if own else (_OWN, _HERE, _INTRODUCTION)
    found = sorted((m.start(1), m.group(1)) for p in patterns for m in p.finditer(text))
    out: list[str] = []
    for _, name in found:
        if name not in _NOT_NAMES and name not in out:
            out.append(name)
    return out


def speaker_label(text: str) -> tuple[str, str] | None:
    """(speaker, rest) of a labelled line ("ALICE: hi", "[Bob] hello"), or None."""
    match = _SPEAKER.match(text)
    if not match:
        return None
    speaker = (match.group(1) or match.group(2) or "").strip()
    if not speaker or speaker.lower() in {"note", "http", "https", "time"}:
        return None
    return speaker.title() if speaker.isupper() else speaker, match.group(3)


def _redact_events(c: sqlite3.Connection, names: Iterable[str]) -> list[int]:
    """Replace whole-word occurrences of ``names`` in event text and screen text lines with REDACTED;
    returns the ids of the events whose text changed."""
    names = sorted({n for n in names if len(n) >= 2}, key=len, reverse=True)
    if not names or c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone() is None:
        return []
    pattern = re.compile(r"\b(?:%s)\b" % "|".join(re.escape(n) for n in names), re.IGNORECASE)
    like = " OR ".join("text LIKE ?" for _ in names)
    changed = []
    for event_id, text in c.execute(f"SELECT id, text FROM events WHERE {like}", [f"%{n}%" for n in names]).fetchall():
        new = pattern.sub(REDACTED, text)
        if new != text:
            c.execute("UPDATE events SET text = ? WHERE id = ?", (new, event_id))
            changed.append(int(event_id))
    if c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'screen_text'").fetchone() is not None:
        for line_id, text in c.execute(f"SELECT id, text FROM screen_text WHERE {like}",
                                       [f"%{n}%" for n in names]).fetchall():  # a name read on screen
            c.execute("UPDATE screen_text SET text = ? WHERE id = ?", (pattern.sub(REDACTED, text), line_id))
    return changed
