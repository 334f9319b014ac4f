"""Small formatting helpers for the views (sizes, speeds, times), translated."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def size(n: float | None) -> str:
    if n is None or n < 0:
        return ""
    n = float(n)
    units = (QCoreApplication.translate("Format", "B"), QCoreApplication.translate("Format", "KiB"),
             QCoreApplication.translate("Format", "MiB"), QCoreApplication.translate("Format", "GiB"),
             QCoreApplication.translate("Format", "TiB"))
    i = 0
    while abs(n) >= 1024 and i < len(units) - 1:
        n /= 1024
        i += 1
    return f"{n:.0f} {units[i]}" if i == 0 else f"{n:.1f} {units[i]}"


def speed(bps: float | None) -> str:
    if not bps or bps <= 0:
        return ""
    return QCoreApplication.translate("Format", "%1/s").replace("%1", size(bps))


def eta(seconds: float | None) -> str:
    if seconds is None or seconds < 0 or seconds != seconds:
        return ""
    s = int(seconds + 0.5)
    if s >= 86400 * 99:
        return "∞"
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m, sec = divmod(rem, 60)
    if d:
        return QCoreApplication.translate("Format", "%1d %2h").replace("%1", str(d)).replace("%2", str(h))
    if h:
        return f"{h}:{m:02d}:{sec:02d}"
    return f"{m}:{sec:02d}"


STATE_TEXT = {
    "queued": "Queued",
    "resolving": "Resolving",
    "downloading": "Downloading",
    "paused": "Paused",
    "verifying": "Verifying",
    "done": "Done",
    "failed": "Failed",
    "handed_off": "Handed off",
}


def state(name: str) -> str:
    # lupdate finds the literal strings in _mark_for_translation() below.
    return QCoreApplication.translate("State", STATE_TEXT.get(name, name))


def _mark_for_translation() -> None:  # pragma: no cover - only read by lupdate
    QCoreApplication.translate("State", "Queued")
    QCoreApplication.translate("State", "Resolving")
    QCoreApplication.translate("State", "Downloading")
    QCoreApplication.translate("State", "Paused")
    QCoreApplication.translate("State", "Verifying")
    QCoreApplication.translate("State", "Done")
    QCoreApplication.translate("State", "Failed")
    QCoreApplication.translate("State", "Handed off")
