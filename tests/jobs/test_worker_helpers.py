from tests.jobs.worker import database_url


def test_a_socket_directory_host_is_encoded_for_the_worker():
    db = {"USER": "postgres", "PASSWORD": "", "HOST": "/work/var/pgdata", "PORT": ""}
    assert (
        database_url(db, "test_regsupport")
        == "postgres://postgres@%2Fwork%2Fvar%2Fpgdata/test_regsupport"
    )


def test_a_tcp_host_keeps_its_port_and_password():
    db = {"USER": "app", "PASSWORD": "p@ss", "HOST": "127.0.0.1", "PORT": "5432"}
    assert database_url(db, "test_x") == "postgres://app:p%40ss@127.0.0.1:5432/test_x"
