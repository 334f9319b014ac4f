"""An aria2-compatible JSON-RPC for browser tools (网盘直链下载助手, AriaNg, the extension).

``server.start_rpc(app)`` serves it for a started facade (core/app.py ``App``); ``methods`` answers
the aria2 methods from the queue; ``extras`` keeps the headers and mirrors a client
sent; ``guard`` holds the checks every request passes; ``config`` the settings and the
secret.  See docs/browser.md.
"""
