"""Queue scale: a queue of N tasks (default 10,000) — how long it takes to add
them, to open the queue (QueueService.start: read every row, build the
scheduler's state, start downloading), to build every TaskView, and to list
it with `main.py list`; and how much memory the process holds.

    .venv/bin/python bench/queue_scale.py [--tasks 10000] [--runs 3]

Each measurement runs in a fresh process (so peak RSS is that step's own) with
a throw-away ZHILIAN_HOME. Targets from the issue: open < 1 s, RSS < 200 MB.
Links point at a closed local port: the three tasks the scheduler starts fail
to connect and wait for a retry, nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _util import precompile  # noqa: E402


def rss_mb() -> float:
    """Peak resident set size of this process in MiB."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / (1 << 20)


def step_fill(n: int) -> dict:
    from core.queue.service import make_rows
    from core.queue.settings import Settings
    from core.queue.store import Store
    st = Store()
    s = Settings(download_dir=str(Path(os.environ["ZHILIAN_HOME"]) / "dl"))
    t0 = time.perf_counter()
    rows = []
    for i in range(n):
        rows += make_rows(f"http://127.0.0.1:9/models/part-{i:05d}.safetensors", settings=s,
                          sha256=f"{i:064x}", priority=i % 3)
    st.insert(rows)
    dt = time.perf_counter() - t0
    st.close()
    return {"seconds": dt, "rss": rss_mb()}


def step_open(n: int) -> dict:
    import asyncio

    from core.queue.service import QueueService
    from core.queue.settings import Settings

    async def go() -> dict:
        t0 = time.perf_counter()
        svc = QueueService(settings=Settings(retry_delay=3600))
        await svc.start()
        t_start = time.perf_counter() - t0
        t1 = time.perf_counter()
        views = svc.tasks()
        t_views = time.perf_counter() - t1
        assert len(views) == n, len(views)
        await asyncio.sleep(0.3)       # the scheduler really runs (3 tasks start)
        running = len(svc.running) + sum(1 for v in svc.tasks() if v.attempts)
        t2 = time.perf_counter()
        await svc.close()
        return {"seconds": t_start, "views": t_views, "close": time.perf_counter() - t2,
                "rss": rss_mb(), "started": running}
    return asyncio.run(go())


def step_fairness(limit_kib: int, seconds: float = 4.0) -> dict:
    """Three downloads through the queue under one global limit, changed half-way."""
    import asyncio
    sys.path.insert(0, str(ROOT / "tests"))
    from servers import FileServer, make_blob

    from core.queue.service import QueueService
    from core.queue.settings import Settings
    srv = FileServer().start()
    for i in range(3):
        srv.add(f"/f{i}.bin", make_blob(64 << 20, i))

    async def go() -> dict:
        svc = QueueService(settings=Settings(global_limit=limit_kib * 1024, max_active=3,
                                             download_dir=str(Path(os.environ["ZHILIAN_HOME"]) / "fair")))
        await svc.start()
        ids = await svc.add("\n".join(srv.url(f"/f{i}.bin") for i in range(3)))
        out = {}
        for phase, lim in (("limit", limit_kib), ("halved", limit_kib // 2)):
            svc.set_global_limit(lim * 1024)
            await asyncio.sleep(1.0)                      # settle
            d0 = {i: svc.get(i).done for i in ids}
            t0 = time.perf_counter()
            await asyncio.sleep(seconds)
            dt = time.perf_counter() - t0
            out[phase] = {"limit": lim, "rates": [(svc.get(i).done - d0[i]) / dt / 1024 for i in ids]}
        await svc.pause_all()
        await svc.close()
        return out
    try:
        return asyncio.run(go())
    finally:
        srv.stop()


def child(step: str, n: int) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", step, "--tasks", str(n)],
                       capture_output=True, text=True, env=dict(os.environ), timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"{step} failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child")
    ap.add_argument("--limit-kib", type=int, default=3072, help="global limit for the fairness table")
    a = ap.parse_args()
    if a.child:
        if a.child == "fairness":
            print(json.dumps(step_fairness(a.limit_kib)))
            return
        fn = {"fill": step_fill, "open": step_open}[a.child]
        print(json.dumps(fn(a.tasks)))
        return
    precompile(ROOT)
    with tempfile.TemporaryDirectory() as home:
        os.environ["ZHILIAN_HOME"] = home
        fill = child("fill", a.tasks)
        opens, lists = [], []
        for _ in range(a.runs):
            opens.append(child("open", a.tasks))
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                                "from core.commands import main; sys.exit(main(['list']))"],
                               capture_output=True, text=True, env=dict(os.environ))
            lists.append(time.perf_counter() - t0)
            assert r.returncode == 0 and r.stdout.count("\n") >= a.tasks, r.stderr
        db = Path(home) / "data" / "zhilian.db"
        size = sum(p.stat().st_size for p in db.parent.glob("zhilian.db*"))
    med = statistics.median
    rows = [
        ("add N tasks (one transaction)", f"{fill['seconds']:.3f} s", f"{fill['rss']:.0f} MiB", ""),
        ("open queue: QueueService.start()", f"{med(o['seconds'] for o in opens):.3f} s",
         f"{max(o['rss'] for o in opens):.0f} MiB", "< 1 s, < 200 MiB"),
        ("build N TaskViews (svc.tasks())", f"{med(o['views'] for o in opens):.3f} s", "", ""),
        ("open + all TaskViews (what a GUI waits for)", f"{med(o['seconds'] + o['views'] for o in opens):.3f} s",
         "", "< 1 s"),
        ("close (stop running tasks)", f"{med(o['close'] for o in opens):.3f} s", "", ""),
        ("`main.py list` (whole process)", f"{med(lists):.3f} s", "", ""),
        ("database size", f"{size / (1 << 20):.1f} MiB", "", ""),
    ]
    print(f"Queue scale, {a.tasks} queued tasks, median of {a.runs} run(s), Python {sys.version.split()[0]}")
    w = max(len(r[0]) for r in rows)
    print(f"{'step':<{w}}  {'time':>10}  {'peak RSS':>9}  target")
    print("-" * (w + 40))
    for name, t, m, target in rows:
        print(f"{name:<{w}}  {t:>10}  {m:>9}  {target}")
    ok = med(o["seconds"] + o["views"] for o in opens) < 1 and max(o["rss"] for o in opens) < 200
    print(f"\ntargets met: {'yes' if ok else 'NO'}; tasks the scheduler started: {opens[0]['started']}")

    with tempfile.TemporaryDirectory() as home:
        os.environ["ZHILIAN_HOME"] = home
        r = subprocess.run([sys.executable, __file__, "--child", "fairness", "--limit-kib", str(a.limit_kib)],
                           capture_output=True, text=True, env=dict(os.environ), timeout=600)
        if r.returncode != 0:
            raise SystemExit(f"fairness failed:\n{r.stderr}")
        fair = json.loads(r.stdout.strip().splitlines()[-1])
    print("\nGlobal speed limit shared by 3 downloads (KiB/s, 4 s windows; changed at run time)")
    print(f"{'global limit':>12}  {'task 1':>8}  {'task 2':>8}  {'task 3':>8}  {'sum':>8}  {'max/min':>7}")
    for phase in ("limit", "halved"):
        f = fair[phase]
        rates = f["rates"]
        print(f"{f['limit']:>12}  " + "  ".join(f"{x:>8.0f}" for x in rates)
              + f"  {sum(rates):>8.0f}  {max(rates) / max(min(rates), 1e-9):>7.2f}")


if __name__ == "__main__":
    main()
