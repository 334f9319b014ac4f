"""The desktop app (PySide6). Start it with ``gui.app.run_gui(argv)``."""
