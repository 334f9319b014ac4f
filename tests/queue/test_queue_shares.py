"""Links that give several files (a release, a folder share) through the real
resolvers against the local GitHub imitation: one task per file, each picked
again by its path after a restart."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from qtest_helpers import Recorder, run_svc, wait_until
from servers import file_sha256, make_blob, sha256

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resolvers"))
from hubmocks import MockGitHub, MockS3CDN  # noqa: E402

FILES = {"wav2lip_gan.pth": make_blob(120_000, 21), "s3fd.pth": make_blob(60_000, 22),
         "wav2lip.pth": make_blob(90_000, 23)}


def test_release_becomes_one_task_per_asset(dl_dir):
    from core.resolve import make_context
    cdn = MockS3CDN(clock=time.time).start()
    gh = MockGitHub(cdn).start()
    try:
        gh.add_release("Rudrabha/Wav2Lip", "v1.0", FILES)
        hosts = {"github.com": gh.base, "api.github.com": gh.base}

        def factory(session):
            return make_context(session, host_map=hosts, credentials={}, env={})
        rec = Recorder()

        async def body(svc):
            svc.subscribe(rec)
            ids = await svc.add("https://github.com/Rudrabha/Wav2Lip/releases/tag/v1.0", dest_dir=str(dl_dir))
            assert len(ids) == 1
            await wait_until(lambda: len(svc.tasks()) == 3 and all(t.state == "done" for t in svc.tasks()),
                             timeout=30)
            return ids[0], svc.tasks()
        first, views = run_svc(body, context_factory=factory)
        assert sorted(v.name for v in views) == sorted(FILES)
        assert {v.link for v in views} == {"https://github.com/Rudrabha/Wav2Lip/releases/tag/v1.0"}
        for v in views:
            assert file_sha256(v.path) == sha256(FILES[v.name])
            assert v.sha256 == sha256(FILES[v.name])        # the release's digests were kept
        assert [e.kind for e in rec.events].count("added") == 3
        # the first task was placed before its siblings
        assert views[0].id == first

        # again, stopped as soon as the link was expanded: after a restart every task
        # resolves the release again and picks its own file by its path
        (dl_dir / "s3fd.pth").unlink()
        for v in views:
            if v.name != "s3fd.pth":
                Path(v.path).unlink()

        async def expand_then_stop(svc):
            for v in svc.tasks():
                await svc.remove(v.id)
            await svc.add("https://github.com/Rudrabha/Wav2Lip/releases/tag/v1.0", dest_dir=str(dl_dir))
            await wait_until(lambda: len(svc.tasks()) == 3)
            await svc.pause_all()
            return {t.id: t.name for t in svc.tasks()}
        names = run_svc(expand_then_stop, context_factory=factory)

        async def resume(svc):
            await svc.resume_all()
            await wait_until(lambda: all(t.state == "done" for t in svc.tasks()), timeout=30)
            return svc.tasks()
        views = run_svc(resume, context_factory=factory)
        assert {v.id: v.name for v in views} == names            # no task added, none lost
        assert sorted(p.name for p in dl_dir.iterdir()) == sorted(FILES)
        for v in views:
            assert file_sha256(v.path) == sha256(FILES[v.name])
    finally:
        gh.stop()
        cdn.stop()


def test_manifest_file_becomes_tasks_in_its_layout(file_server, dl_dir, tmp_path):
    a, b = make_blob(70_000, 31), make_blob(50_000, 32)
    file_server.add("/cdn/heygem_v1.pth", a)
    file_server.add("/cdn/dinet.onnx", b)
    man = tmp_path / "heygem.yaml"
    man.write_text(f"""name: heygem
files:
  - name: lipsync
    path: models/heygem_v1.pth
    sha256: {sha256(a)}
    download:
      - url: {file_server.url('/cdn/heygem_v1.pth')}?token=MANIFESTSECRET9
  - name: dinet
    sha256: {sha256(b)}
    download: ["{file_server.url('/cdn/dinet.onnx')}"]
""")

    async def body(svc):
        [tid] = await svc.add(str(man), dest_dir=str(dl_dir))
        await wait_until(lambda: len(svc.tasks()) == 2 and all(t.state == "done" for t in svc.tasks()))
        return svc.tasks()
    views = run_svc(body)
    assert sorted(v.path for v in views) == sorted([str(dl_dir / "models/heygem_v1.pth"), str(dl_dir / "dinet.onnx")])
    assert file_sha256(dl_dir / "models/heygem_v1.pth") == sha256(a)
    assert file_sha256(dl_dir / "dinet.onnx") == sha256(b)
    from core.paths import data_dir
    dbs = list(data_dir().glob("zhilian.db*"))
    assert dbs
    for f in dbs:
        assert b"MANIFESTSECRET9" not in f.read_bytes()
