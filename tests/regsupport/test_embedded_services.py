"""The embedded path of `make run` / `make test`: a real PostgreSQL and Redis from wheels."""

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
import redis

from regsupport import devservices

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_embedded_postgres_and_redis_start_answer_and_stop(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    (ROOT / "var").mkdir(exist_ok=True)
    var_dir = Path(tempfile.mkdtemp(prefix="embedded-", dir=ROOT / "var"))
    try:
        services = devservices.ensure(var_dir)
        assert services.started == ["postgres", "redis"]

        import dj_database_url

        db = dj_database_url.parse(services.database_url)
        with psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"]) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        assert version.startswith("16")

        client = redis.Redis.from_url(services.redis_url)
        assert client.ping() is True
        client.set("embedded", "yes")
        assert client.get("embedded") == b"yes"

        again = devservices.ensure(var_dir)
        assert again.redis_url == services.redis_url
    finally:
        devservices.stop(var_dir)
        shutil.rmtree(var_dir, ignore_errors=True)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(services.redis_url, socket_connect_timeout=1).ping()
