"""Translations: English (the source strings) and Simplified Chinese.

The language follows the system locale unless the settings name one ("en", "zh_CN").
Application strings come from resources/translations/zhilian_<lang>.qm; Qt's own
strings (standard dialog buttons, ...) from the qtbase catalogue shipped with Qt.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from core.paths import resources_dir

LANGUAGES = {"": "System", "en": "English", "zh_CN": "简体中文"}

_installed: list[QTranslator] = []


def translations_dir() -> Path:
    return resources_dir() / "translations"


def system_locale() -> QLocale:
    return QLocale.system()


def resolve_language(setting: str | None) -> str:
    """"" / None -> from the system locale; returns "en" or "zh_CN"."""
    if setting in ("en", "zh_CN"):
        return setting
    loc = system_locale()
    if loc.language() != QLocale.Language.Chinese:
        return "en"
    traditional = loc.script() == QLocale.Script.TraditionalHanScript or loc.territory() in (
        QLocale.Country.Taiwan, QLocale.Country.HongKong, QLocale.Country.Macau)
    return "en" if traditional else "zh_CN"


def install(language: str | None) -> str:
    """Installs the translators for ``language`` (replacing earlier ones); returns the language used."""
    app = QCoreApplication.instance()
    lang = resolve_language(language)
    for t in _installed:
        if app is not None:
            QCoreApplication.removeTranslator(t)
    _installed.clear()
    ours = QTranslator()
    if ours.load(str(translations_dir() / f"zhilian_{lang}.qm")):
        QCoreApplication.installTranslator(ours)
        _installed.append(ours)
    if lang == "en":          # English: only the plural forms ("1 link", "2 links")
        return lang
    qt = QTranslator()
    if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        QCoreApplication.installTranslator(qt)
        _installed.append(qt)
    return lang


def active() -> bool:
    """True when a Chinese catalogue is installed."""
    return any(t.language().startswith("zh") for t in _installed)
